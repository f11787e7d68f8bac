#include "pca/pca_model.h"
