// The synthetic Fruits-360-like set: layout, determinism, images that decode and look like fruits
// on white, labels that can be told apart, and option checks.

#include "sample/sample_dataset.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "image/decode.h"
#include "util/error.h"

namespace fruits::sample {
namespace {

// Keeps committed files in memory: fast, and proves every byte goes through the ObjectStore.
class MemoryStore : public storage::ObjectStore {
 public:
  std::vector<storage::ObjectInfo> List(const std::string& prefix) override {
    std::vector<storage::ObjectInfo> objects;
    for (const auto& [uri, bytes] : files_) {
      if (uri.rfind(prefix, 0) == 0) objects.push_back({uri, bytes.size()});
    }
    return objects;
  }
  Result<std::string> Read(const std::string& uri) override {
    if (!Exists(uri)) return Result<std::string>::Failure("no such object: " + uri);
    return files_.at(uri);
  }
  std::unique_ptr<storage::WritableFile> NewWritableFile(const std::string& uri) override {
    return std::make_unique<File>(uri, files_);
  }
  std::unique_ptr<storage::RandomAccessFile> NewRandomAccessFile(const std::string& uri) override {
    throw Error("MemoryStore does not read: " + uri);
  }
  bool Exists(const std::string& uri) override { return files_.count(uri) > 0; }
  bool IsRemote(const std::string&) const override { return false; }
  void Remove(const std::string& uri) override { files_.erase(uri); }

  const std::map<std::string, std::string>& files() const { return files_; }

 private:
  class File : public storage::WritableFile {
   public:
    File(std::string uri, std::map<std::string, std::string>& files)
        : uri_(std::move(uri)), files_(files) {}
    void Append(std::string_view data) override { data_.append(data); }
    void Commit() override { files_[uri_] = data_; }
    uint64_t size() const override { return data_.size(); }
    const std::string& uri() const override { return uri_; }

   private:
    std::string uri_;
    std::string data_;
    std::map<std::string, std::string>& files_;
  };

  std::map<std::string, std::string> files_;
};

std::map<std::string, std::string> Generate(const SampleDatasetOptions& options) {
  MemoryStore store;
  WriteSampleDataset(store, "out", options);
  return store.files();
}

// Our own decoder, as the pipeline will read these files.
image::RgbImage Decode(const std::string& bytes) {
  Result<image::RgbImage> image = image::DecodeImage(bytes, {});
  EXPECT_TRUE(image.ok()) << image.error();
  return image.ok() ? std::move(image).value() : image::RgbImage{};
}

bool IsWhite(const uint8_t* rgb) { return rgb[0] > 200 && rgb[1] > 200 && rgb[2] > 200; }

using Colour = std::array<double, 3>;

double Distance(const Colour& a, const Colour& b) {
  return std::hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

// Mean colour of the pixels that are not background.
Colour FruitColour(const image::RgbImage& image) {
  Colour sum{};
  int count = 0;
  for (size_t i = 0; i < image.pixels.size(); i += 3) {
    if (IsWhite(&image.pixels[i])) continue;
    for (int c = 0; c < 3; ++c) sum[c] += image.pixels[i + c];
    ++count;
  }
  for (double& channel : sum) channel /= std::max(count, 1);
  return sum;
}

// Mean absolute difference per pixel, summed over the three channels.
double Difference(const image::RgbImage& a, const image::RgbImage& b) {
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(a.pixels[i] - b.pixels[i]);
  return sum / (a.width * a.height);
}

constexpr SampleDatasetOptions kSmall{
    .classes = 3, .per_class = 3, .test_per_class = 2, .multi_fruit = 2, .seed = 7};

TEST(SampleDatasetTest, KnowsAtLeastTwelveDistinctFruitKinds) {
  const auto& labels = SampleFruitLabels();
  EXPECT_GE(labels.size(), 12u);
  EXPECT_EQ(std::set<std::string>(labels.begin(), labels.end()).size(), labels.size());
  EXPECT_EQ(labels.front(), "Apple Red 1");
}

TEST(SampleDatasetTest, LaysFilesOutLikeFruits360) {
  MemoryStore store;
  SampleDatasetSummary summary = WriteSampleDataset(store, "data/fruits/", kSmall);
  const auto& all = SampleFruitLabels();
  EXPECT_EQ(summary.labels, std::vector<std::string>(all.begin(), all.begin() + 3));
  EXPECT_EQ(summary.images, 3 * 3 + 3 * 2 + 2);
  ASSERT_EQ(store.files().size(), 17u);
  for (const auto& label : summary.labels) {
    for (int i = 0; i < 3; ++i) {
      EXPECT_TRUE(
          store.Exists("data/fruits/Training/" + label + "/" + std::to_string(i) + "_100.jpg"))
          << label << " " << i;
    }
    for (int i = 0; i < 2; ++i) {
      EXPECT_TRUE(store.Exists("data/fruits/Test/" + label + "/" + std::to_string(i) + "_100.jpg"))
          << label << " " << i;
    }
  }
  int multi = 0;
  for (const auto& [path, bytes] : store.files()) {
    if (path.rfind("data/fruits/test-multiple-fruits/", 0) != 0) continue;
    EXPECT_EQ(path.substr(path.size() - 4), ".jpg") << path;
    ++multi;
  }
  EXPECT_EQ(multi, 2);
}

TEST(SampleDatasetTest, TheSameSeedGivesTheSameBytes) {
  EXPECT_EQ(Generate(kSmall), Generate(kSmall));
}

TEST(SampleDatasetTest, AnotherSeedGivesOtherImages) {
  SampleDatasetOptions other = kSmall;
  other.seed = 8;
  auto a = Generate(kSmall);
  auto b = Generate(other);
  for (const auto& [path, bytes] : a) {
    ASSERT_TRUE(b.count(path) || path.find("test-multiple-fruits") != std::string::npos) << path;
    if (b.count(path)) {
      EXPECT_NE(bytes, b.at(path)) << path;
    }
  }
}

TEST(SampleDatasetTest, RaisingACountKeepsTheEarlierFiles) {
  SampleDatasetOptions more = kSmall;
  more.per_class = 5;
  more.multi_fruit = 3;
  auto fewer = Generate(kSmall);
  auto larger = Generate(more);
  for (const auto& [path, bytes] : fewer) {
    ASSERT_TRUE(larger.count(path)) << path;
    EXPECT_EQ(larger.at(path), bytes) << path;
  }
}

TEST(SampleDatasetTest, EveryFileIsAJpegOfTheRightSize) {
  for (const auto& [path, bytes] : Generate(kSmall)) {
    image::RgbImage image = Decode(bytes);
    if (path.find("test-multiple-fruits") != std::string::npos) {
      EXPECT_EQ(image.width, 640) << path;
      EXPECT_EQ(image.height, 480) << path;
    } else {
      EXPECT_EQ(image.width, 100) << path;
      EXPECT_EQ(image.height, 100) << path;
    }
  }
}

TEST(SampleDatasetTest, FruitsLieOnWhiteAndFillMostOfTheFrame) {
  SampleDatasetOptions options{.classes = static_cast<int>(SampleFruitLabels().size()),
                               .per_class = 3,
                               .test_per_class = 0,
                               .multi_fruit = 0};
  for (const auto& [path, bytes] : Generate(options)) {
    image::RgbImage image = Decode(bytes);
    int border = 0, white_border = 0, fruit = 0;
    for (int y = 0; y < image.height; ++y) {
      for (int x = 0; x < image.width; ++x) {
        bool white = IsWhite(&image.pixels[3 * (y * image.width + x)]);
        fruit += !white;
        if (x < 2 || y < 2 || x >= image.width - 2 || y >= image.height - 2) {
          ++border;
          white_border += white;
        }
      }
    }
    EXPECT_GT(white_border, 0.75 * border) << path;
    // Long thin kinds (a banana, an eggplant) cover less than round ones.
    EXPECT_GT(fruit, 0.05 * image.width * image.height) << path;
    EXPECT_LT(fruit, 0.85 * image.width * image.height) << path;
  }
}

TEST(SampleDatasetTest, ImagesOfOneLabelDiffer) {
  SampleDatasetOptions options{.classes = static_cast<int>(SampleFruitLabels().size()),
                               .per_class = 4,
                               .test_per_class = 0,
                               .multi_fruit = 0};
  std::map<std::string, std::vector<image::RgbImage>> by_label;
  for (const auto& [path, bytes] : Generate(options)) {
    by_label[path.substr(0, path.rfind('/'))].push_back(Decode(bytes));
  }
  for (const auto& [label, images] : by_label) {
    for (size_t i = 0; i < images.size(); ++i) {
      for (size_t j = i + 1; j < images.size(); ++j) {
        EXPECT_GT(Difference(images[i], images[j]), 15) << label << " " << i << " " << j;
      }
    }
  }
}

// Colour alone tells most labels apart: the Training images' mean fruit colour of each label
// classifies most Test images correctly, and no two labels share a mean colour.
TEST(SampleDatasetTest, LabelsHaveDistinctColours) {
  SampleDatasetOptions options{.classes = static_cast<int>(SampleFruitLabels().size()),
                               .per_class = 6,
                               .test_per_class = 4,
                               .multi_fruit = 0};
  std::map<std::string, Colour> centre;
  std::vector<std::pair<std::string, Colour>> held_out;
  for (const auto& [path, bytes] : Generate(options)) {
    size_t slash = path.rfind('/');
    size_t start = path.rfind('/', slash - 1) + 1;
    std::string label = path.substr(start, slash - start);
    Colour colour = FruitColour(Decode(bytes));
    if (path.rfind("out/Training/", 0) == 0) {
      for (int c = 0; c < 3; ++c) centre[label][c] += colour[c] / options.per_class;
    } else {
      held_out.emplace_back(label, colour);
    }
  }
  for (auto a = centre.begin(); a != centre.end(); ++a) {
    for (auto b = std::next(a); b != centre.end(); ++b) {
      EXPECT_GT(Distance(a->second, b->second), 10) << a->first << " vs " << b->first;
    }
  }
  int right = 0;
  for (const auto& held : held_out) {
    auto nearest = std::min_element(centre.begin(), centre.end(), [&](auto& a, auto& b) {
      return Distance(a.second, held.second) < Distance(b.second, held.second);
    });
    right += nearest->first == held.first;
  }
  EXPECT_GT(right, 0.75 * held_out.size());
}

TEST(SampleDatasetTest, ZeroCountsWriteNothing) {
  MemoryStore store;
  SampleDatasetSummary summary = WriteSampleDataset(
      store, "out", {.classes = 2, .per_class = 0, .test_per_class = 0, .multi_fruit = 0});
  EXPECT_EQ(summary.images, 0);
  EXPECT_EQ(summary.labels.size(), 2u);
  EXPECT_TRUE(store.files().empty());
}

void ExpectUsageError(const SampleDatasetOptions& options, const std::string& expected,
                      const std::string& root = "out") {
  MemoryStore store;
  try {
    WriteSampleDataset(store, root, options);
    ADD_FAILURE() << "no error, expected: " << expected;
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
  EXPECT_TRUE(store.files().empty());
}

TEST(SampleDatasetTest, OptionsOutOfRangeAreUsageErrorsSayingWhatIsAllowed) {
  std::string kinds = std::to_string(SampleFruitLabels().size());
  ExpectUsageError({.classes = 0}, "classes must be between 1 and " + kinds);
  ExpectUsageError({.classes = 99}, "classes must be between 1 and " + kinds +
                                        " (the built-in fruit kinds), got 99");
  ExpectUsageError({.per_class = -1}, "per-class must be between 0 and 100000");
  ExpectUsageError({.per_class = 100'001}, "got 100001");
  ExpectUsageError({.test_per_class = -2}, "test-per-class must be between 0 and 100000");
  ExpectUsageError({.multi_fruit = 10'001}, "multi-fruit must be between 0 and 10000");
  ExpectUsageError({}, "output folder is empty", "");
}

}  // namespace
}  // namespace fruits::sample
