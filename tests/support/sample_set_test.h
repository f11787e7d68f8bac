// A test suite base for end-to-end runs: a small synthetic set (3 labels, 12 Training and 4 Test
// images each) and the built-in model at 64x64 (fast).
//
// Both are made once per ctest run, by the `sample_set` fixture test (tests/CMakeLists.txt), in
// FRUITS_SAMPLE_SET; each suite copies them into its own folder (a copy costs milliseconds, making
// them costs seconds), so a test may add or change files without touching the other suites'.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "support/temp_dir.h"

namespace fruits::testing {

class SampleSetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    namespace fs = std::filesystem;
    dir_ = std::make_unique<TempDir>();
    const fs::path made = FRUITS_SAMPLE_SET;
    // model.onnx is made last: its presence says the set is complete.
    ASSERT_TRUE(fs::exists(made / "model.onnx"))
        << "no sample set in " << made
        << ": run these tests through ctest, which makes it first (fixture test 'sample_set')";
    fs::copy(made / "data", Data(), fs::copy_options::recursive);
    fs::copy_file(made / "model.onnx", Model());
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
