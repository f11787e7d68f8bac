#include "pca/moments.h"
