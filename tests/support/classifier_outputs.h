// Comparing what two `fruits train` / `fruits evaluate` (or `fruits run --test`) commands wrote:
// a classifier folder (CLF/) and an evaluation folder (EVAL/), one of them anywhere a test can
// read files from (a local folder, s3rver's data folder).
//
// `actual(name)` gives the local file holding the second output's file `name` (relative to its
// folder, "weights.npy", "predictions/part-00000.parquet"). Both outputs must come from the same
// feature rows; only the folders they name (and the seconds they took) may differ.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "support/fruits_cli.h"
#include "support/read_file.h"
#include "support/reference_readers.h"

namespace fruits::testing {

using FileOf = std::function<std::string(const std::string& name)>;

// Whether both outputs come from the same features parts (the same digest in model.json and
// metrics.json), or from features of the same images at other paths (a local folder and a
// bucket: the parts' digests cover the images' URIs).
enum class Features { kSameParts, kSameImagesElsewhere };

// The same files byte for byte (weights, bias, labels, PCA), the same model.json but for the
// features' folder (and digest, with kSameImagesElsewhere) and the seconds of each k tried.
inline void ExpectSameClassifier(const std::string& expected_folder, const FileOf& actual,
                                 Features features = Features::kSameParts) {
  for (const char* file :
       {"labels.txt", "weights.npy", "bias.npy", "pca_model/mean.npy", "pca_model/components.npy",
        "pca_model/explained_variance.npy", "pca_model/explained_variance_ratio.npy"}) {
    ASSERT_TRUE(std::filesystem::exists(actual(file))) << file;
    EXPECT_TRUE(ReadFile(expected_folder + "/" + file) == ReadFile(actual(file)))
        << file << " differs";
  }
  nlohmann::json expected = ReadJson(expected_folder + "/model.json");
  nlohmann::json got = ReadJson(actual("model.json"));
  EXPECT_EQ(got["digest"], expected["digest"]);
  for (nlohmann::json* model : {&expected, &got}) {
    (*model)["features"].erase("folder");
    if (features == Features::kSameImagesElsewhere) (*model)["features"].erase("digest");
    for (auto& k : (*model)["k_curve"]) k.erase("seconds");
  }
  EXPECT_EQ(got, expected);
}

// A predictions part's rows as DuckDB reads them, `prefix` cut from the image paths.
inline nlohmann::json PredictionRows(const std::string& part, const std::string& prefix) {
  if (prefix.empty()) return DuckDbRead(part, "SELECT * FROM file ORDER BY path")["rows"];
  return DuckDbRead(part, "SELECT * REPLACE (replace(path, '" + prefix +
                              "', '') AS path) FROM file ORDER BY path")["rows"];
}

// The same metrics.json but for the folders it names (and the features' digest when
// `expected_prefix` and `actual_prefix` differ), and the same predictions parts with the same rows
// (image paths compared without those prefixes). Returns the number of parts.
inline int ExpectSameEvaluation(const std::string& expected_folder, const FileOf& actual,
                                const std::string& expected_prefix = "",
                                const std::string& actual_prefix = "") {
  nlohmann::json expected = ReadJson(expected_folder + "/metrics.json");
  nlohmann::json got = ReadJson(actual("metrics.json"));
  EXPECT_EQ(got["classifier"]["digest"], expected["classifier"]["digest"]);
  for (nlohmann::json* metrics : {&expected, &got}) {
    (*metrics)["classifier"].erase("folder");
    (*metrics)["features"].erase("folder");
    if (expected_prefix != actual_prefix) (*metrics)["features"].erase("digest");
  }
  EXPECT_EQ(got, expected);
  int parts = 0;
  for (const auto& entry : std::filesystem::directory_iterator(expected_folder + "/predictions")) {
    const std::string name = "predictions/" + entry.path().filename().string();
    if (!std::filesystem::exists(actual(name))) {
      ADD_FAILURE() << "no " << name;
      continue;
    }
    EXPECT_EQ(PredictionRows(actual(name), actual_prefix),
              PredictionRows(entry.path().string(), expected_prefix))
        << name;
    ++parts;
  }
  return parts;
}

}  // namespace fruits::testing
