// FindConfusedExamples: for each asked pair, the predictions it got most confidently wrong
// (ties in catalog order) with thumbnails of their images, or why an image has none.

#include "report/confused_examples.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "parquet/writer.h"
#include "pipeline/features_part.h"
#include "report/thumbnail.h"
#include "storage/local_store.h"
#include "support/read_file.h"
#include "support/temp_dir.h"
#include "support/text_assertions.h"
#include "util/error.h"

namespace fruits::report {
namespace {

using testing::MessageOf;
using testing::Quoted;
using testing::ReadFile;
using testing::TempDir;

struct Prediction {
  std::string image;  // a file name in the test folder
  std::string label;
  std::string predicted;
  float probability = 0;  // of `predicted`; exact in binary, so comparisons are exact
};

class FindConfusedExamplesTest : public ::testing::Test {
 protected:
  // Writes an encoded `width` x `height` image of one colour into the test folder.
  void WriteImage(const std::string& name, int width, int height) {
    std::vector<uint8_t> encoded;
    const std::string extension = name.substr(name.rfind('.'));
    ASSERT_TRUE(
        cv::imencode(extension, cv::Mat(height, width, CV_8UC3, cv::Scalar(30, 90, 200)), encoded));
    std::ofstream(Image(name), std::ios::binary)
        .write(reinterpret_cast<const char*>(encoded.data()),
               static_cast<std::streamsize>(encoded.size()));
  }

  // An evaluation's predictions part, part-0000N.parquet, with the image paths made absolute.
  void WritePredictionsPart(int part, const std::vector<Prediction>& rows) {
    std::vector<std::string> paths, labels, predicted, top_labels;
    std::vector<float> probabilities, top_probabilities;
    std::vector<int64_t> offsets = {0};
    for (const Prediction& row : rows) {
      paths.push_back(Image(row.image));
      labels.push_back(row.label);
      predicted.push_back(row.predicted);
      probabilities.push_back(row.probability);
      top_labels.insert(top_labels.end(), {row.predicted, row.label});
      top_probabilities.insert(top_probabilities.end(), {row.probability, 0});
      offsets.push_back(static_cast<int64_t>(top_labels.size()));
    }
    parquet::ParquetWriter writer(store_.NewWritableFile(PartUri(part)),
                                  pipeline::PredictionsSchema(), {});
    const parquet::ColumnValues columns[] = {
        parquet::ColumnValues::Strings(paths),
        parquet::ColumnValues::Strings(labels),
        parquet::ColumnValues::Strings(predicted),
        parquet::ColumnValues::Floats(probabilities),
        parquet::ColumnValues::StringLists(top_labels, offsets),
        parquet::ColumnValues::FloatLists(top_probabilities, offsets)};
    writer.Write(columns);
    writer.Close();
  }

  std::string Image(const std::string& name) const { return dir_.File("images/" + name); }

  std::string PartUri(int part) const {
    std::string uri = folder_;
    uri.append("/part-0000").append(std::to_string(part)).append(".parquet");
    return uri;
  }

  // The paths of a pair's examples, as the test named them.
  std::vector<std::string> ImagesOf(const ConfusedPair& pair) const {
    std::vector<std::string> images;
    for (const ConfusedExample& example : pair.examples) {
      images.push_back(example.path.substr(Image("").size()));
    }
    return images;
  }

  TempDir dir_;
  storage::LocalStore store_;
  std::string folder_ = dir_.File("evaluation/predictions");
};

TEST_F(FindConfusedExamplesTest, KeepsTheMostConfidentMistakesOfEachPairWithThumbnails) {
  std::filesystem::create_directories(Image(""));
  for (const char* name : {"a0.png", "a1.jpg", "a2.png", "a3.png", "a4.jpg", "c0.png"}) {
    WriteImage(name, 40, 20);
  }
  std::ofstream(Image("notes.txt")) << "not an image";
  WritePredictionsPart(0, {{"a0.png", "Apple", "Banana", 0.625f},
                           {"a1.jpg", "Apple", "Banana", 0.875f},
                           {"a2.png", "Apple", "Apple", 0.99f},
                           {"c0.png", "Cherry", "Apple", 0.75f}});
  WritePredictionsPart(1, {{"a3.png", "Apple", "Banana", 0.625f},     // a tie with a0: after it
                           {"gone.png", "Apple", "Banana", 0.8125f},  // no such file
                           {"a4.jpg", "Apple", "Banana", 0.5f},       // the fifth: left out
                           {"a5.png", "Apple", "Apple", 0.95f},
                           {"notes.txt", "Cherry", "Apple", 0.25f}});
  std::vector<ConfusedPair> pairs = {{"Apple", "Banana", {}},
                                     {"Cherry", "Apple", {}},
                                     {"Banana", "Cherry", {}},  // never predicted
                                     {"Apple", "Apple", {}}};   // right answers are no mistake
  FindConfusedExamples(store_, folder_, {.per_pair = 4, .thumbnail_side = 16}, pairs);

  ASSERT_EQ(pairs.size(), 4u);
  EXPECT_EQ(pairs[0].true_label, "Apple");
  EXPECT_EQ(pairs[0].predicted, "Banana");
  EXPECT_EQ(ImagesOf(pairs[0]),
            std::vector<std::string>({"a1.jpg", "gone.png", "a0.png", "a3.png"}));
  std::vector<double> probabilities;
  for (const ConfusedExample& example : pairs[0].examples) {
    probabilities.push_back(example.probability);
  }
  EXPECT_EQ(probabilities, std::vector<double>({0.875, 0.8125, 0.625, 0.625}));

  // A missing image keeps its row, with the store's reason and no thumbnail.
  const ConfusedExample& gone = pairs[0].examples[1];
  EXPECT_TRUE(gone.thumbnail.empty());
  EXPECT_EQ(gone.error, store_.Read(Image("gone.png")).error());
  EXPECT_FALSE(gone.error.empty());
  for (int i : {0, 2, 3}) {
    const ConfusedExample& example = pairs[0].examples[i];
    EXPECT_EQ(example.error, "") << example.path;
    EXPECT_EQ(example.thumbnail, ThumbnailDataUrl(ReadFile(example.path), 16).value())
        << example.path;
  }

  EXPECT_EQ(ImagesOf(pairs[1]), std::vector<std::string>({"c0.png", "notes.txt"}));
  EXPECT_EQ(pairs[1].examples[0].error, "");
  EXPECT_EQ(pairs[1].examples[0].thumbnail.rfind("data:image/jpeg;base64,", 0), 0u);
  // A file that does not decode keeps its row too, with the decoder's reason.
  const ConfusedExample& notes = pairs[1].examples[1];
  EXPECT_TRUE(notes.thumbnail.empty());
  EXPECT_EQ(notes.error, ThumbnailDataUrl("not an image", 16).error());

  EXPECT_TRUE(pairs[2].examples.empty());
  EXPECT_TRUE(pairs[3].examples.empty());
}

TEST_F(FindConfusedExamplesTest, PerPairBoundsTheExamples) {
  WritePredictionsPart(
      0, {{"x.png", "A", "B", 0.25f}, {"y.png", "A", "B", 0.5f}, {"z.png", "A", "B", 0.5f}});
  std::vector<ConfusedPair> pairs = {{"A", "B", {}}};
  FindConfusedExamples(store_, folder_, {.per_pair = 1}, pairs);
  EXPECT_EQ(ImagesOf(pairs[0]), std::vector<std::string>({"y.png"}));
}

TEST_F(FindConfusedExamplesTest, NoPartsGiveNoExamples) {
  std::vector<ConfusedPair> pairs = {{"A", "B", {}}};
  FindConfusedExamples(store_, folder_, {}, pairs);
  EXPECT_TRUE(pairs[0].examples.empty());
}

TEST_F(FindConfusedExamplesTest, APartThatIsNotAPredictionsPartIsRefused) {
  const std::vector<std::string> paths = {"b.jpg"}, stages = {"decode"}, reasons = {"bad"};
  parquet::ParquetWriter writer(store_.NewWritableFile(PartUri(0)), pipeline::ErrorsSchema(), {});
  const parquet::ColumnValues columns[] = {parquet::ColumnValues::Strings(paths),
                                           parquet::ColumnValues::Strings(stages),
                                           parquet::ColumnValues::Strings(reasons)};
  writer.Write(columns);
  writer.Close();
  std::vector<ConfusedPair> pairs = {{"A", "B", {}}};
  EXPECT_EQ(MessageOf([&] { FindConfusedExamples(store_, folder_, {}, pairs); }),
            Quoted(PartUri(0)) + " is not a predictions part (path, label, predicted, ...)");
}

}  // namespace
}  // namespace fruits::report
