// The model as a run uses it: read once, sent to every process, loaded once per process, and the
// Preprocessor configured from what the backend takes (size, layout, channels).
//
// OpenModelSession is collective (rank 0 reads the model bytes, every rank receives them) and
// throws what LoadModel throws (fruits::Error, UsageError for a bad flag) before any image is
// read. A session is then shared by every worker: the backend and the preprocessor are
// thread-safe; the rest is plain values.
#pragma once

#include <string>
#include <vector>

#include "dist/communicator.h"
#include "image/preprocessor.h"
#include "model/model_loader.h"
#include "parquet/metadata.h"
#include "storage/object_store.h"

namespace fruits::pipeline {

struct ModelSessionOptions {
  std::string model;  // URI of the ONNX file
  // backend_options.cores is set to `workers`; the backend fills what is left at 0.
  model::ModelOptions model_options;
  image::ResizeFilter resize = image::ResizeFilter::kBicubic;
  image::Normalization normalization = image::Normalization::kMobileNet;
  int workers = 1;
};

struct ModelSession {
  model::LoadedModel loaded;
  image::Preprocessor preprocessor;
  // Whether the model file is quantized (QDQ int8, `fruits model quantize`).
  bool quantized = false;
  // Run facts for every part's footer: version, model, its SHA-256, whether it is quantized,
  // feature layer, preprocessing.
  std::vector<parquet::KeyValue> footer_facts;
  double seconds = 0;            // reading, sending, checking and loading the model
  double broadcast_seconds = 0;  // of which sending the bytes to every process

  model::Backend& backend() const { return *loaded.backend; }
};

// The preprocessor that feeds `input` (its size, channels and layout) as the user asked.
image::Preprocessor MakePreprocessor(const model::ImageInput& input, image::ResizeFilter resize,
                                     image::Normalization normalization);

ModelSession OpenModelSession(storage::ObjectStore& store, dist::Communicator& comm,
                              const ModelSessionOptions& options);

}  // namespace fruits::pipeline
