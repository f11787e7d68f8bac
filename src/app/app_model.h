// The exported app model (what `fruits export` writes) run by our own engine.
//
// Load() reads the file, checks that `fruits export` wrote it (its metadata names the tensors
// where the backbone begins and ends), and runs the graph in two parts: from the pixels to the
// features on a backend of the model loader (XNNPACK by default; the uint8 -> float Cast is left
// out because the engine is fed the 8-bit pixels already as floats), and the head (PCA, the
// classifier, Softmax) in HeadEvaluator. Everything comes from the file: there is no second copy
// of the pieces. Classify() is thread-safe; the backend serves concurrent_runs() calls at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "image/preprocessor.h"
#include "model/backend.h"
#include "model/tensor.h"
#include "storage/object_store.h"

namespace fruits::app {

class HeadEvaluator;

struct AppModelOptions {
  // One of model::BackendNames(), or "auto".
  std::string backend = "auto";
  // Fields left at 0 are the backend's to choose (model/backend.h).
  model::BackendOptions backend_options;
};

// What the file says about itself (its metadata_props), for the commands and the server.
struct AppModelInfo {
  std::string name;    // the file name, without its folder
  std::string sha256;  // of the file's bytes (hex)
  std::vector<std::string> labels;
  int64_t height = 0;  // the image size the graph takes
  int64_t width = 0;
  image::ResizeFilter filter = image::ResizeFilter::kBicubic;
  // "uint8" or "float32": the element type of the graph's image input.
  std::string input_type;
  std::string fruits_version;
  std::string source_model_sha256;
  std::string classifier_digest;
  // The classifier's test accuracy recorded at export, when an evaluation sat beside it.
  std::optional<double> accuracy;
};

class AppModel {
 public:
  // Throws UsageError when the file cannot be read or was not written by `fruits export`,
  // fruits::Error when no backend runs its backbone.
  static AppModel Load(storage::ObjectStore& store, const std::string& uri,
                       const AppModelOptions& options);

  AppModel(AppModel&&) noexcept;
  AppModel& operator=(AppModel&&) noexcept;
  ~AppModel();

  const AppModelInfo& info() const { return info_; }
  // Writes what Classify() takes for one image: resized as training did (Pillow's rule), the
  // 8-bit values as floats, NHWC RGB. Thread-safe.
  const image::Preprocessor& preprocessor() const { return preprocessor_; }
  // The most images one Classify() takes.
  int64_t max_batch() const;
  // How many Classify() calls run at once (more wait).
  int concurrent_runs() const;
  // Which engine runs the backbone ("xnnpack", "opencv").
  std::string backend_name() const;

  // REQUIRES: pixels.shape() == {n, height, width, 3}, 1 <= n <= max_batch(), values as
  // preprocessor() writes them. Returns the probabilities, [n x labels].
  model::Tensor Classify(const model::Tensor& pixels) const;

 private:
  AppModel(AppModelInfo info, image::Preprocessor preprocessor,
           std::unique_ptr<model::Backend> backbone, std::unique_ptr<HeadEvaluator> head);

  AppModelInfo info_;
  image::Preprocessor preprocessor_;
  std::unique_ptr<model::Backend> backbone_;
  std::unique_ptr<HeadEvaluator> head_;
};

}  // namespace fruits::app
