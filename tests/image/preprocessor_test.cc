// The Preprocessor against Pillow, Keras and torchvision.
//
// tests/references/pillow_reference.py (run once for the suite) resizes synthetic photos with
// Pillow's Image.resize (BILINEAR, BICUBIC, BOX, NEAREST), upscaling like Fruits-360 into
// MobileNet and downscaling like a camera photo, in RGB and after Image.convert("L"), and
// normalises one result as Keras' preprocess_input and torchvision's Normalize do. Tolerances:
// resized pixels identical (0 levels) for every filter and case; normalised floats within
// kFloatTolerance (both sides compute in float32 in the same order, so they are in fact
// bit-identical).

#include "image/preprocessor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>

#include "support/float_file.h"
#include "support/python_reference.h"
#include "support/read_file.h"
#include "support/run_command.h"
#include "support/temp_dir.h"
#include "util/error.h"

namespace fruits::image {
namespace {

constexpr float kFloatTolerance = 1e-6f;

struct ResizeCase {
  std::string name;
  int src_width, src_height, dst_width, dst_height;
};

// Our floats (normalisation none) against Pillow's 8-bit samples: equal, value for value.
void ExpectPillowsValues(const std::vector<float>& ours, const std::string& pillow) {
  ASSERT_EQ(pillow.size(), ours.size());
  float max_diff = 0;
  size_t differing = 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    const float diff = std::abs(ours[i] - static_cast<uint8_t>(pillow[i]));
    max_diff = std::max(max_diff, diff);
    differing += diff > 0;
  }
  EXPECT_EQ(max_diff, 0) << differing << " of " << ours.size() << " values differ";
}

class PillowResize : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::TempDir>();
    testing::CommandResult r = testing::RunPythonReference(
        "pillow_reference.py", "resize " + testing::ShellQuote(dir_->path().string()));
    setup_error_ = r.exit_code == 0 ? "" : "pillow_reference.py resize failed: " + r.err;
    std::ifstream manifest(dir_->File("manifest.txt"));
    ResizeCase c;
    while (manifest >> c.name >> c.src_width >> c.src_height >> c.dst_width >> c.dst_height) {
      cases_.push_back(c);
    }
  }
  static void TearDownTestSuite() {
    cases_.clear();
    dir_.reset();
  }

  void SetUp() override {
    ASSERT_EQ(setup_error_, "");
    ASSERT_FALSE(cases_.empty());
  }

  static RgbImage Source(const ResizeCase& c) {
    RgbImage image{.width = c.src_width, .height = c.src_height};
    const std::string bytes = testing::ReadFile(dir_->File("src_" + c.name + ".rgb"));
    image.pixels.assign(bytes.begin(), bytes.end());
    EXPECT_EQ(image.pixels.size(), static_cast<size_t>(c.src_width) * c.src_height * 3);
    return image;
  }

  static std::unique_ptr<testing::TempDir> dir_;
  static std::vector<ResizeCase> cases_;
  static std::string setup_error_;
};

std::unique_ptr<testing::TempDir> PillowResize::dir_;
std::vector<ResizeCase> PillowResize::cases_;
std::string PillowResize::setup_error_;

TEST_F(PillowResize, EveryFilterGivesPillowsPixels) {
  for (const std::string& filter : ResizeFilterNames()) {
    for (const ResizeCase& c : cases_) {
      SCOPED_TRACE(filter + ", " + c.name);
      const Preprocessor preprocessor({.width = c.dst_width,
                                       .height = c.dst_height,
                                       .filter = ParseResizeFilter(filter),
                                       .normalization = Normalization::kNone,
                                       .channels_last = true});
      std::vector<float> ours(preprocessor.image_floats());
      preprocessor.Run(Source(c), ours.data());
      const std::string pillow = testing::ReadFile(dir_->File(c.name + "_" + filter + ".rgb"));
      ExpectPillowsValues(ours, pillow);
    }
  }
}

// Grey models: convert("L") then resize, one float per pixel.
TEST_F(PillowResize, EveryFilterGivesPillowsGreyPixels) {
  for (const std::string& filter : ResizeFilterNames()) {
    for (const ResizeCase& c : cases_) {
      SCOPED_TRACE(filter + ", " + c.name);
      const Preprocessor preprocessor({.width = c.dst_width,
                                       .height = c.dst_height,
                                       .filter = ParseResizeFilter(filter),
                                       .normalization = Normalization::kNone,
                                       .channels = 1});
      ASSERT_EQ(preprocessor.image_floats(), static_cast<size_t>(c.dst_width) * c.dst_height);
      // One float past the slot: Run() must leave it alone.
      std::vector<float> ours(preprocessor.image_floats() + 1, -7.0f);
      preprocessor.Run(Source(c), ours.data());
      EXPECT_EQ(ours.back(), -7.0f);
      ours.pop_back();
      const std::string pillow = testing::ReadFile(dir_->File(c.name + "_" + filter + ".grey"));
      ExpectPillowsValues(ours, pillow);
    }
  }
}

TEST_F(PillowResize, GreyNormalisationsMatchTheDocumentedArithmetic) {
  const ResizeCase& up = cases_.front();
  ASSERT_EQ(up.name, "up");
  const RgbImage source = Source(up);
  for (const char* normalization : {"mobilenet", "imagenet", "none"}) {
    for (bool channels_last : {false, true}) {
      SCOPED_TRACE(std::string(normalization) + (channels_last ? " NHWC" : " NCHW"));
      const Preprocessor preprocessor({.filter = ResizeFilter::kBicubic,
                                       .normalization = ParseNormalization(normalization),
                                       .channels_last = channels_last,
                                       .channels = 1});
      std::vector<float> ours(preprocessor.image_floats());
      preprocessor.Run(source, ours.data());
      const std::vector<float> expected =
          testing::ReadFloats(dir_->File("up_" + std::string(normalization) + "_grey.f32"));
      ASSERT_EQ(expected.size(), ours.size());
      float max_diff = 0;
      for (size_t i = 0; i < ours.size(); ++i) {
        max_diff = std::max(max_diff, std::abs(ours[i] - expected[i]));
      }
      EXPECT_LE(max_diff, kFloatTolerance);
    }
  }
}

TEST_F(PillowResize, NormalisationsAndLayoutsMatchKerasAndTorchvision) {
  const ResizeCase& up = cases_.front();
  ASSERT_EQ(up.name, "up");
  const RgbImage source = Source(up);
  for (const std::string& normalization : NormalizationNames()) {
    for (bool channels_last : {false, true}) {
      const std::string name = "up_" + normalization + (channels_last ? "_nhwc" : "_nchw");
      SCOPED_TRACE(name);
      const Preprocessor preprocessor({.filter = ResizeFilter::kBicubic,
                                       .normalization = ParseNormalization(normalization),
                                       .channels_last = channels_last});
      std::vector<float> ours(preprocessor.image_floats());
      preprocessor.Run(source, ours.data());
      const std::vector<float> expected = testing::ReadFloats(dir_->File(name + ".f32"));
      ASSERT_EQ(expected.size(), ours.size());
      float max_diff = 0;
      for (size_t i = 0; i < ours.size(); ++i) {
        max_diff = std::max(max_diff, std::abs(ours[i] - expected[i]));
      }
      EXPECT_LE(max_diff, kFloatTolerance);
    }
  }
}

TEST(Preprocessor, WritesExactlyItsSlot) {
  const Preprocessor preprocessor({.width = 5, .height = 3});
  ASSERT_EQ(preprocessor.image_floats(), 45u);
  RgbImage image{.width = 2, .height = 2, .pixels = std::vector<uint8_t>(12, 255)};
  std::vector<float> out(47, -7.0f);
  preprocessor.Run(image, out.data() + 1);
  EXPECT_EQ(out.front(), -7.0f);
  EXPECT_EQ(out.back(), -7.0f);
  for (size_t i = 1; i < 46; ++i) EXPECT_EQ(out[i], 1.0f) << i;  // 255 / 127.5 - 1
}

TEST(Preprocessor, RefusesCaffeForGreyAndChannelsItCannotMake) {
  try {
    Preprocessor({.normalization = Normalization::kCaffe, .channels = 1});
    FAIL() << "no exception";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(),
                 "--preprocess caffe subtracts a mean per BGR channel, which a grey (1-channel) "
                 "model does not have: use mobilenet, imagenet or none");
  }
  for (int channels : {0, 2, 4}) {
    EXPECT_THROW(Preprocessor({.channels = channels}), Error) << channels;
  }
}

TEST(Preprocessor, RefusesEmptySizes) {
  EXPECT_THROW(Preprocessor({.width = 0}), UsageError);
  EXPECT_THROW(Preprocessor({.height = -224}), UsageError);
  EXPECT_THROW(Preprocessor({.width = 100000}), UsageError);
}

TEST(Preprocessor, NamesRoundTrip) {
  for (const std::string& name : ResizeFilterNames())
    EXPECT_EQ(ToString(ParseResizeFilter(name)), name);
  for (const std::string& name : NormalizationNames()) {
    EXPECT_EQ(ToString(ParseNormalization(name)), name);
  }
  EXPECT_EQ(ParseResizeFilter("area"), ResizeFilter::kArea);
  EXPECT_EQ(ParseNormalization("caffe"), Normalization::kCaffe);
}

TEST(Preprocessor, UnknownNamesListTheAcceptedOnes) {
  try {
    ParseResizeFilter("lanczos");
    FAIL() << "no exception";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(),
                 "unknown resize filter 'lanczos': use one of bilinear, bicubic, area, nearest");
  }
  try {
    ParseNormalization("torch");
    FAIL() << "no exception";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(),
                 "unknown normalization 'torch': use one of mobilenet, imagenet, caffe, none");
  }
}

}  // namespace
}  // namespace fruits::image
