// Placeholder: filled in with the PCA module.
#include <gtest/gtest.h>
