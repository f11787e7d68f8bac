#include "pca/npy.h"
