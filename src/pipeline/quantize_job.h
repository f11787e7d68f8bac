// `fruits model quantize`: a float model made int8 (a standard QDQ ONNX file), calibrated on the
// user's images, and measured against the float model on images it was not calibrated on.
//
// The images come from a folder, an S3 prefix or a list file (the extract catalog), and are
// decoded and preprocessed exactly as `extract` does with the same flags. Their order is the
// catalog's, shuffled by a fixed seed (so that a folder per label mixes labels): the first
// `calibration_images` calibrate, the next `holdout_images` are held out. Calibration runs the
// float model on the XNNPACK backend and records every tensor the quantization plan names
// (quantization/activation_recorder.h); the QDQ file is written with the chosen ranges
// (quantization/qdq_rewrite.h). Then the float and the int8 model each extract the held-out
// images: the report gives the cosine similarity of the two feature vectors per image (median and
// 1st percentile) and, when the images have labels, each model's nearest-centroid accuracy (the
// centroids from the calibration images' features, the held-out images classified to the
// nearest by Euclidean distance).
//
// Deterministic: the same model, images and options give the same file, byte for byte. Images
// that cannot be read or decoded are skipped and counted; no readable calibration image at all
// (an empty folder, every file broken) is an Error saying so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image/preprocessor.h"
#include "model/model_loader.h"
#include "model/quantization/activation_ranges.h"
#include "pipeline/catalog.h"
#include "storage/object_store.h"

namespace fruits::pipeline {

struct QuantizeOptions {
  std::string model;   // URI of the float ONNX file
  std::string images;  // a folder, an S3 prefix, or (with from_list) a list file
  bool from_list = false;
  CatalogOptions catalog;
  std::string output;  // URI of the QDQ file to write
  int64_t calibration_images = 500;
  int64_t holdout_images = 200;
  model::quantization::CalibrationMethod method = model::quantization::CalibrationMethod::kMinMax;
  // As for extract: the feature layer, the input size, threads (backend_options.threads).
  model::ModelOptions model_options;
  image::ResizeFilter resize = image::ResizeFilter::kBicubic;
  image::Normalization normalization = image::Normalization::kMobileNet;
  int64_t batch_size = 16;
};

struct QuantizeReport {
  std::string output;
  int64_t calibration_images = 0;  // read and used
  int64_t holdout_images = 0;
  int64_t unreadable_images = 0;  // skipped, in both sets
  std::string method;
  std::vector<std::string> quantized_nodes;
  std::vector<std::string> float_nodes;
  int64_t float_bytes = 0;  // the input model's file size
  int64_t int8_bytes = 0;   // the written file's size
  // Over the held-out images (0 when none were held out).
  double cosine_median = 0;
  double cosine_p1 = 0;
  double cosine_min = 0;
  // Nearest-centroid accuracy, -1 without labels (or with fewer than two labels).
  double float_accuracy = -1;
  double int8_accuracy = -1;
  double seconds = 0;
};

QuantizeReport QuantizeModel(storage::ObjectStore& store, const QuantizeOptions& options);

}  // namespace fruits::pipeline
