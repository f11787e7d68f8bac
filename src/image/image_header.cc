#include "image/image_header.h"
