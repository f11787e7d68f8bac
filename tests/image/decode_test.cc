// Placeholder: filled in with the image module.
#include <gtest/gtest.h>
