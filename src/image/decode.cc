#include "image/decode.h"
