// The app model end to end, against independent references: onnxruntime (npm onnxruntime-node)
// runs the exported file on Pillow's resizing of every Test image of the sample set and agrees
// with `fruits classify`; the onnx package's full checker passes and reads the metadata back;
// `fruits classify` agrees with the pipeline's own evaluation. Then what the commands refuse.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/fruits_cli.h"
#include "support/python_reference.h"
#include "support/read_file.h"
#include "support/reference_readers.h"
#include "support/temp_dir.h"

namespace fruits {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ExpectContains;
using testing::Fruits;
using testing::RunCommand;
using testing::ShellQuote;
using testing::TempDir;

constexpr int kSize = 64;  // the sample set's model input

const std::string kSet = FRUITS_SAMPLE_SET;
const std::string kAppModel = FRUITS_APP_MODEL;
// The app_model fixture's `fruits run --test` output, which the file was exported from.
const std::string kRun = kSet + "/app";

std::vector<std::string> TestImages() {
  std::vector<std::string> images;
  for (const auto& entry : fs::recursive_directory_iterator(kSet + "/data/Test")) {
    if (entry.is_regular_file()) images.push_back(entry.path().string());
  }
  std::sort(images.begin(), images.end());
  return images;
}

std::vector<json> JsonLines(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

std::vector<std::string> Labels() {
  std::vector<std::string> labels;
  std::ifstream in(kRun + "/classifier/labels.txt");
  for (std::string line; std::getline(in, line);) labels.push_back(line);
  return labels;
}

// onnxruntime's outputs for `model` on the images, resized by Pillow as an app would.
json RunOnnxRuntime(const TempDir& dir, const std::string& model,
                    const std::vector<std::string>& images, const std::string& type) {
  const std::string pixels = dir.File("pixels.u8");
  const std::string size = std::to_string(kSize);
  std::string args = "pixels";
  for (const std::string& arg : {ShellQuote(pixels), size, size}) args.append(" ").append(arg);
  for (const std::string& image : images) args.append(" ").append(ShellQuote(image));
  const auto resized = testing::RunPythonReference("app_reference.py", args);
  EXPECT_EQ(resized.exit_code, 0) << resized.err;
  return testing::RunReferenceReader("onnx_run.mjs", ShellQuote(model) + " " + ShellQuote(pixels) +
                                                         " " + std::to_string(images.size()) + " " +
                                                         size + " " + size + " " + type)["outputs"];
}

// `fruits classify --json` with every label listed, one line per image.
std::vector<json> Classify(const std::string& model, const std::string& inputs) {
  const auto r = Fruits("classify --json --top 100 --model " + ShellQuote(model) + " " + inputs);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return JsonLines(r.out);
}

// Probabilities within 1e-4 of onnxruntime's and the same top-1, image by image.
void ExpectSameAsOnnxRuntime(const std::vector<json>& ours, const json& ort) {
  const json& probabilities = ort["probabilities"]["data"];
  const size_t labels = Labels().size();
  ASSERT_EQ(ours.size() * labels, probabilities.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    SCOPED_TRACE(ours[i]["path"].get<std::string>());
    ASSERT_EQ(ours[i]["top"].size(), labels);
    EXPECT_EQ(ours[i]["top"][0]["index"], ort["label_index"]["data"][i]);
    for (const json& score : ours[i]["top"]) {
      const size_t index = score["index"].get<size_t>();
      EXPECT_NEAR(score["probability"].get<double>(),
                  probabilities[i * labels + index].get<double>(), 1e-4);
    }
  }
}

class AppModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    images_ = TestImages();
    ort_ = new json(RunOnnxRuntime(*dir_, kAppModel, images_, "uint8"));
    ours_ = new std::vector<json>(Classify(kAppModel, ShellQuote(kSet + "/data/Test")));
  }
  static void TearDownTestSuite() {
    delete ours_;
    delete ort_;
    delete dir_;
  }

  static inline TempDir* dir_ = nullptr;
  static inline std::vector<std::string> images_;
  static inline json* ort_ = nullptr;
  static inline std::vector<json>* ours_ = nullptr;
};

TEST_F(AppModel, OnnxRuntimeGivesWhatClassifyGivesOnEveryTestImage) {
  ASSERT_EQ(images_.size(), 12u);
  ASSERT_EQ(ours_->size(), images_.size());
  for (size_t i = 0; i < images_.size(); ++i) EXPECT_EQ((*ours_)[i]["path"], images_[i]);
  ExpectSameAsOnnxRuntime(*ours_, *ort_);
  // The labels output: a string tensor, in index order.
  EXPECT_EQ((*ort_)["labels"]["type"], "string");
  EXPECT_EQ((*ort_)["labels"]["data"], json(Labels()));
  EXPECT_EQ((*ort_)["label_index"]["type"], "int64");
}

TEST_F(AppModel, ClassifyGivesWhatThePipelineEvaluationGave) {
  const json rows =
      testing::DuckDbRead(kRun + "/evaluation/predictions/part-00000.parquet",
                          "SELECT path, predicted, probability FROM file ORDER BY path")["rows"];
  std::map<std::string, json> predicted;
  for (const json& row : rows) predicted[row[0].get<std::string>()] = row;
  ASSERT_EQ(predicted.size(), ours_->size());
  for (const json& line : *ours_) {
    const std::string path = line["path"];
    SCOPED_TRACE(path);
    ASSERT_TRUE(predicted.count(path));
    EXPECT_EQ(line["top"][0]["label"], predicted[path][1]);
    EXPECT_NEAR(line["top"][0]["probability"].get<double>(), predicted[path][2].get<double>(),
                1e-4);
  }
}

TEST_F(AppModel, TheFilePassesTheCheckerAndCarriesItsMetadata) {
  const auto r =
      testing::RunPythonReference("app_reference.py", "describe " + ShellQuote(kAppModel));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json d = json::parse(r.out);
  EXPECT_EQ(d["opset_import"], json({{"", 13}}));
  EXPECT_EQ(d["domains"], json({""}));
  for (const char* forbidden : {"ZipMap", "LabelEncoder", "LinearClassifier"}) {
    EXPECT_EQ(std::count(d["op_types"].begin(), d["op_types"].end(), forbidden), 0) << forbidden;
  }
  EXPECT_EQ(d["inputs"], json::parse(R"([{"name": "image", "elem_type": "UINT8",
                                          "dims": ["batch", 64, 64, 3]}])"));
  const size_t labels = Labels().size();
  EXPECT_EQ(d["outputs"][0],
            json({{"name", "probabilities"}, {"elem_type", "FLOAT"}, {"dims", {"batch", labels}}}));
  EXPECT_EQ(d["outputs"][1],
            json({{"name", "label_index"}, {"elem_type", "INT64"}, {"dims", {"batch"}}}));
  EXPECT_EQ(d["outputs"][2],
            json({{"name", "labels"}, {"elem_type", "STRING"}, {"dims", {labels}}}));

  const json& metadata = d["metadata"];
  EXPECT_EQ(json::parse(metadata["labels"].get<std::string>()), json(Labels()));
  const json preprocessing = json::parse(metadata["preprocessing"].get<std::string>());
  EXPECT_EQ(preprocessing["resize"], "bicubic");
  EXPECT_EQ(preprocessing["layout"], "NHWC");
  EXPECT_EQ(preprocessing["height"], kSize);
  EXPECT_EQ(preprocessing["normalization"], "mobilenet");
  const json classifier = testing::ReadJson(kRun + "/classifier/model.json");
  EXPECT_EQ(metadata["source_model_sha256"], classifier["model"]["sha256"]);
  const json metrics = testing::ReadJson(kRun + "/evaluation/metrics.json");
  EXPECT_EQ(metadata["classifier_digest"], metrics["classifier"]["digest"]);
  EXPECT_DOUBLE_EQ(std::stod(metadata["evaluation_accuracy"].get<std::string>()),
                   metrics["accuracy"].get<double>());
}

TEST_F(AppModel, Float32InputGivesTheSameProbabilities) {
  const std::string model = dir_->File("float.onnx");
  const auto r =
      Fruits("export --input float32 --model " + ShellQuote(kSet + "/model.onnx") +
             " --classifier " + ShellQuote(kRun + "/classifier") + " -o " + ShellQuote(model));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json ort = RunOnnxRuntime(*dir_, model, images_, "float32");
  EXPECT_EQ(ort["probabilities"]["type"], "float32");
  ExpectSameAsOnnxRuntime(*ours_, ort);
  ExpectSameAsOnnxRuntime(Classify(model, ShellQuote(kSet + "/data/Test")), ort);
}

// A folder with two good images and two bad ones: each bad one is a line with its error, the
// others are classified, and the exit status says something failed.
TEST(AppCli, ABadImageIsALineWithItsErrorAndTheRestIsClassified) {
  TempDir dir;
  const std::vector<std::string> images = TestImages();
  fs::create_directories(dir.File("in"));
  fs::copy_file(images[0], dir.File("in/a_good.jpg"));
  fs::copy_file(images[5], dir.File("in/d_good.jpg"));
  std::ofstream(dir.File("in/b_corrupt.jpg")) << "not a jpeg at all";
  const std::string png = testing::ReadFile(images[0]);
  std::ofstream(dir.File("in/c_truncated.jpg")) << png.substr(0, png.size() / 3);

  auto r =
      Fruits("classify --json --model " + ShellQuote(kAppModel) + " " + ShellQuote(dir.File("in")));
  EXPECT_EQ(r.exit_code, 1);
  ExpectContains(r.err, "2 of 4 images could not be classified");
  const std::vector<json> lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[0]["top"].size(), 5u > Labels().size() ? Labels().size() : 5u);
  EXPECT_TRUE(lines[1].contains("error"));
  EXPECT_FALSE(lines[1].contains("top"));
  EXPECT_TRUE(lines[2].contains("error"));
  EXPECT_TRUE(lines[3].contains("top"));
  EXPECT_EQ(lines[3]["path"], dir.File("in/d_good.jpg"));

  r = Fruits("classify --top 1 --model " + ShellQuote(kAppModel) + " " +
             ShellQuote(dir.File("in/b_corrupt.jpg")) + " " +
             ShellQuote(dir.File("in/a_good.jpg")));
  EXPECT_EQ(r.exit_code, 1);
  ExpectContains(r.out, dir.File("in/b_corrupt.jpg") + "\terror: ");
  ExpectContains(r.out, dir.File("in/a_good.jpg") + "\t");
}

TEST(AppCli, ClassifyRefusesAModelExportDidNotWrite) {
  const auto r = Fruits("classify --model " + ShellQuote(kSet + "/model.onnx") + " " +
                        ShellQuote(kSet + "/data/Test"));
  EXPECT_EQ(r.exit_code, 2);
  ExpectContains(r.err, "not an app model written by fruits export");
  ExpectContains(r.err, "fruits export --model");
}

TEST(AppCli, ExportRefusesAModelTheFeaturesDidNotComeFrom) {
  TempDir dir;
  auto r = Fruits("model init --seed 9 --image-size 64 -o " + ShellQuote(dir.File("other.onnx")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Fruits("export --model " + ShellQuote(dir.File("other.onnx")) + " --classifier " +
             ShellQuote(kRun + "/classifier") + " -o " + ShellQuote(dir.File("app.onnx")));
  EXPECT_EQ(r.exit_code, 2);
  ExpectContains(r.err, "trained on features of another model");
  EXPECT_FALSE(fs::exists(dir.File("app.onnx")));
}

TEST(AppCli, ExportRecordsAnAccuracyOnlyFromAnEvaluationOfThisClassifier) {
  TempDir dir;
  // The classifier alone, with no evaluation beside it: no accuracy.
  fs::copy(kRun + "/classifier", dir.File("clf"), fs::copy_options::recursive);
  auto r = Fruits("export --model " + ShellQuote(kSet + "/model.onnx") + " --classifier " +
                  ShellQuote(dir.File("clf")) + " -o " + ShellQuote(dir.File("app.onnx")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectContains(r.out, "no evaluation of this classifier found");
  auto d = testing::RunPythonReference("app_reference.py",
                                       "describe " + ShellQuote(dir.File("app.onnx")));
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_FALSE(json::parse(d.out)["metadata"].contains("evaluation_accuracy"));

  // An evaluation of another classifier is refused when named.
  json metrics = testing::ReadJson(kRun + "/evaluation/metrics.json");
  metrics["classifier"]["digest"] = "0000";
  std::ofstream(dir.File("metrics.json")) << metrics.dump();
  r = Fruits("export --model " + ShellQuote(kSet + "/model.onnx") + " --classifier " +
             ShellQuote(dir.File("clf")) + " --evaluation " + ShellQuote(dir.File("metrics.json")) +
             " -o " + ShellQuote(dir.File("app2.onnx")));
  EXPECT_EQ(r.exit_code, 2);
  ExpectContains(r.err, "is not an evaluation of this classifier");
}

TEST(AppCli, BadFlagsAndMissingInputsSayWhatToDo) {
  TempDir dir;
  auto r = Fruits("export --model " + ShellQuote(kSet + "/model.onnx") + " --classifier " +
                  ShellQuote(dir.File("nothing")) + " -o " + ShellQuote(dir.File("a.onnx")));
  EXPECT_EQ(r.exit_code, 2);
  ExpectContains(r.err, dir.File("nothing"));
  r = Fruits("export --input int8 --model m --classifier c -o o");
  EXPECT_EQ(r.exit_code, 2);
  r = Fruits("classify --model " + ShellQuote(dir.File("missing.onnx")) + " x.jpg");
  EXPECT_EQ(r.exit_code, 2);
  ExpectContains(r.err, "missing.onnx");
  r = Fruits("classify --model " + ShellQuote(kAppModel) + " " + ShellQuote(dir.File("none")));
  EXPECT_EQ(r.exit_code, 2);
  ExpectContains(r.err, dir.File("none"));
}

}  // namespace
}  // namespace fruits
