#include "image/preprocessor.h"
