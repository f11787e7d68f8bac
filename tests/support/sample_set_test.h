// A test suite base for end-to-end runs: a small synthetic set (3 labels, 12 Training and 4 Test
// images each) and the built-in model at 64x64 (fast), made once per suite with the binary.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/fruits_cli.h"
#include "support/temp_dir.h"

namespace fruits::testing {

class SampleSetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    auto sample = Fruits("dataset sample -o " + ShellQuote(Data()) +
                         " --classes 3 --per-class 12 --test-per-class 4 --multi-fruit 0 --seed 5");
    ASSERT_EQ(sample.exit_code, 0) << sample.err;
    auto init = Fruits("model init --seed 2 --image-size 64 -o " + ShellQuote(Model()));
    ASSERT_EQ(init.exit_code, 0) << init.err;
  }
  static void TearDownTestSuite() { dir_.reset(); }

  static std::string Data() { return dir_->File("data"); }
  static std::string Training() { return Data() + "/Training"; }
  static std::string Model() { return dir_->File("model.onnx"); }
  static const TempDir& dir() { return *dir_; }

 private:
  static inline std::unique_ptr<TempDir> dir_;
};

}  // namespace fruits::testing
