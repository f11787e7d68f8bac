#include "image/sample_dataset.h"
