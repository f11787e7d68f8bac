#include "pipeline/quantize_job.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <span>
#include <thread>

#include "model/feature_layer.h"
#include "model/graph_preparation.h"
#include "model/quantization/activation_recorder.h"
#include "model/quantization/qdq_rewrite.h"
#include "pipeline/batch_stages.h"
#include "pipeline/model_session.h"
#include "util/error.h"
#include "util/log.h"
#include "util/seconds_since.h"
#include "util/version.h"

namespace fruits::pipeline {

namespace {

using Clock = std::chrono::steady_clock;
namespace quantization = model::quantization;

// The seed of the image order: fixed, so that the same images give the same file.
constexpr uint64_t kShuffleSeed = 17;

// The calibration and held-out images: consecutive runs of the shuffled catalog.
struct ImageSets {
  std::vector<CatalogEntry> calibration;
  std::vector<CatalogEntry> holdout;
};

ImageSets SplitImages(const Catalog& catalog, int64_t calibration_images, int64_t holdout_images) {
  // Fisher-Yates written out (std::shuffle's draws differ between standard libraries).
  std::vector<CatalogEntry> entries = catalog.entries();
  std::mt19937_64 random(kShuffleSeed);
  for (size_t i = entries.size(); i > 1; --i) std::swap(entries[i - 1], entries[random() % i]);
  const auto calibration_end =
      entries.begin() + std::min<int64_t>(calibration_images, std::ssize(entries));
  const auto holdout_end =
      calibration_end + std::min<int64_t>(holdout_images, entries.end() - calibration_end);
  return {{entries.begin(), calibration_end}, {calibration_end, holdout_end}};
}

// Reads, decodes and preprocesses the images for one model input, a batch at a time, so that
// memory holds one batch whatever the number of images.
class ImageBatches {
 public:
  ImageBatches(storage::ObjectStore& store, const QuantizeOptions& options)
      : store_(store), options_(options) {}

  // Calls visit(images, entries) for each batch of `entries` (images.decoded indexes the batch's
  // `entries`) that holds at least one readable image; returns how many could not be read.
  int64_t ForEach(
      std::span<const CatalogEntry> entries, const model::ImageInput& input,
      const std::function<void(const PreparedImages&, std::span<const CatalogEntry>)>& visit) {
    const image::Preprocessor preprocessor =
        MakePreprocessor(input, options_.resize, options_.normalization);
    int64_t unreadable = 0;
    for (size_t begin = 0; begin < entries.size(); begin += options_.batch_size) {
      const std::span<const CatalogEntry> batch =
          entries.subspan(begin, std::min<size_t>(options_.batch_size, entries.size() - begin));
      const PreparedImages images =
          ReadAndPreprocess(store_, batch, decode_, preprocessor, input, clocks_);
      for (const ErrorRecord& error : images.errors) {
        if (warned_.insert(error.path).second) {
          LogWarning("skipped '" + error.path + "' (" + error.stage + "): " + error.reason);
        }
      }
      unreadable += std::ssize(images.errors);
      if (!images.decoded.empty()) visit(images, batch);
    }
    return unreadable;
  }

 private:
  storage::ObjectStore& store_;
  const QuantizeOptions& options_;
  const image::DecodeOptions decode_;
  StageClocks clocks_;
  std::set<std::string> warned_;  // each unreadable image is logged once, whatever the passes
};

// The float model as quantization needs it: whole (the file to rewrite) and cut at the
// feature layer (what calibration runs), both prepared.
struct FloatModel {
  std::string bytes;
  model::OnnxModel full;
  model::OnnxModel cut;
  model::FeatureLayer layer;
};

FloatModel ReadFloatModel(storage::ObjectStore& store, const QuantizeOptions& options) {
  std::string bytes = model::OnnxModel::ReadBytes(store, options.model);
  model::OnnxModel full = model::OnnxModel::Parse(bytes, options.model);
  if (quantization::IsQuantized(full)) {
    throw UsageError("model '" + options.model +
                     "' is already quantized (it holds QuantizeLinear/DequantizeLinear pairs): "
                     "give the float model it was made from");
  }
  const model::ModelOptions& model_options = options.model_options;
  if (model_options.input_height > 0 && model_options.input_width > 0) {
    full.SetInputSize(model_options.input_height, model_options.input_width);
  }
  if (!full.input().HasFixedSize()) {
    throw UsageError("model '" + options.model + "' leaves its input size open (" +
                     full.input().ToString() + "): give the image size with --input-size");
  }
  // The layer is chosen as extract chooses it; the rewrites then cover the head too, which the
  // quantized file keeps, and the cut copy is the same prepared, folded backbone (calibration
  // records the tensors of the graph the QDQ pairs go into).
  model::FeatureLayer layer = model::ChooseFeatureLayer(full, model_options.feature_layer);
  model::PrepareGraph(full);
  quantization::FoldBatchNorms(full);
  model::OnnxModel cut = model::OnnxModel::Parse(full.Serialize(), options.model);
  model::CutAtFeatureLayer(cut, layer);
  return {std::move(bytes), std::move(full), std::move(cut), std::move(layer)};
}

int Threads(const QuantizeOptions& options) {
  const int threads = options.model_options.backend_options.threads;
  return threads > 0 ? threads
                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::string NoImagesMessage(const QuantizeOptions& options, int64_t unreadable) {
  if (unreadable == 0) {
    return "no calibration image in '" + options.images +
           "': give a folder (or list) of the images the model will see";
  }
  return "none of the " + std::to_string(unreadable) + " calibration images in '" + options.images +
         "' could be read or decoded (see the warnings above): give images the model will see";
}

// Calibration: the float model's activations on the calibration images, one or two passes,
// and the quantization chosen for each tensor the plan names.
struct Calibration {
  std::map<std::string, quantization::ActivationQuantization> parameters;
  int64_t images = 0;
  int64_t unreadable = 0;
};

Calibration Calibrate(const FloatModel& model, const quantization::QuantizationPlan& plan,
                      std::span<const CatalogEntry> images, ImageBatches& batches,
                      const QuantizeOptions& options) {
  quantization::ActivationRecorder recorder(model.cut, plan.tensors, Threads(options));
  quantization::ActivationRanges ranges(plan.tensors.size(), options.method);
  Calibration calibration;
  calibration.unreadable =
      batches.ForEach(images, recorder.input(), [&](const PreparedImages& batch, auto) {
        recorder.Run(batch.input, [&](size_t tensor, std::span<const float> values) {
          ranges.ObserveExtremes(tensor, values);
        });
        calibration.images += std::ssize(batch.decoded);
      });
  if (calibration.images == 0) throw Error(NoImagesMessage(options, calibration.unreadable));
  if (ranges.NeedsHistogramPass()) {
    batches.ForEach(images, recorder.input(), [&](const PreparedImages& batch, auto) {
      recorder.Run(batch.input, [&](size_t tensor, std::span<const float> values) {
        ranges.ObserveHistogram(tensor, values);
      });
    });
  }
  for (size_t i = 0; i < plan.tensors.size(); ++i) {
    calibration.parameters[plan.tensors[i]] = ranges.Quantization(i);
  }
  return calibration;
}

// How the file was calibrated, for its metadata: the same run gives the same text.
std::string Description(const QuantizeOptions& options, const Calibration& calibration) {
  return "fruits " + std::string(kVersion) +
         " model quantize: " + quantization::CalibrationMethodName(options.method) +
         " ranges over " + std::to_string(calibration.images) + " images of '" + options.images +
         "' (preprocessing " + image::ToString(options.normalization) + ", " +
         image::ToString(options.resize) + " resize)";
}

// The float and the int8 model side by side, each loaded as extract loads a model.
struct ModelPair {
  model::LoadedModel float_model;
  model::LoadedModel int8_model;
};

ModelPair LoadBoth(const FloatModel& model, const std::string& int8_bytes,
                   const QuantizeOptions& options) {
  model::ModelOptions model_options = options.model_options;
  // The same tensor in both (the quantized file keeps its name); one Run at a time, each on
  // every thread.
  model_options.feature_layer = model.layer.tensor;
  const int threads = Threads(options);
  model_options.backend_options = {.threads = threads, .concurrent_runs = 1, .cores = threads};
  return {model::LoadModel(model::OnnxModel::Parse(model.bytes, options.model), model_options),
          model::LoadModel(model::OnnxModel::Parse(int8_bytes, options.output), model_options)};
}

// Runs both models on each batch of `images` and calls visit(float, int8, labels) with their
// features ([n x d] each) and the labels of the n images read.
using PairVisit = std::function<void(const model::Tensor&, const model::Tensor&,
                                     const std::vector<std::string>&)>;

void RunBoth(ModelPair& models, std::span<const CatalogEntry> images, ImageBatches& batches,
             const PairVisit& visit) {
  const model::ImageInput& input = models.float_model.backend->input();
  // Calibration ran the float model on XNNPACK, so `auto` picks XNNPACK for it, and only XNNPACK
  // runs the QDQ file: both engines take the same NHWC batches.
  const model::ImageInput& int8_input = models.int8_model.backend->input();
  if (input.BatchShape(1) != int8_input.BatchShape(1) || input.layout != int8_input.layout) {
    throw InternalError("the float and the int8 model take different inputs (" + input.ToString() +
                        ", " + int8_input.ToString() + ")");
  }
  batches.ForEach(images, input,
                  [&](const PreparedImages& batch, std::span<const CatalogEntry> entries) {
                    std::vector<std::string> labels;
                    for (size_t i : batch.decoded) labels.push_back(entries[i].label);
                    visit(models.float_model.backend->Run(batch.input),
                          models.int8_model.backend->Run(batch.input), labels);
                  });
}

double Cosine(const float* a, const float* b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  if (aa == 0 && bb == 0) return 1;  // both all zero: the same vector
  if (aa == 0 || bb == 0) return 0;
  return ab / std::sqrt(aa * bb);
}

// Per-label means of feature vectors, and the nearest of them to a vector.
class Centroids {
 public:
  void Add(const std::string& label, const float* features, size_t n) {
    Sum& sum = sums_[label];
    sum.values.resize(n);
    for (size_t i = 0; i < n; ++i) sum.values[i] += features[i];
    ++sum.count;
  }
  size_t labels() const { return sums_.size(); }
  // The label of the nearest mean by Euclidean distance (ties: the first label in byte order).
  const std::string& Nearest(const float* features, size_t n) const {
    const std::string* best = nullptr;
    double best_distance = 0;
    for (const auto& [label, sum] : sums_) {
      double distance = 0;
      for (size_t i = 0; i < n; ++i) {
        const double d = features[i] - sum.values[i] / static_cast<double>(sum.count);
        distance += d * d;
      }
      if (best == nullptr || distance < best_distance) {
        best = &label;
        best_distance = distance;
      }
    }
    return *best;
  }

 private:
  struct Sum {
    std::vector<double> values;
    int64_t count = 0;
  };
  std::map<std::string, Sum> sums_;
};

// The value at the q-quantile of sorted values (the lower of the two nearest ranks).
double Quantile(const std::vector<double>& sorted, double q) {
  return sorted[static_cast<size_t>(q * static_cast<double>(sorted.size() - 1))];
}

// Float against int8 on the held-out images: cosine per image, and, with labels, each model's
// nearest-centroid accuracy with centroids from the calibration images.
void Evaluate(ModelPair& models, const ImageSets& sets, ImageBatches& batches,
              QuantizeReport& report) {
  bool labelled = true;
  for (const CatalogEntry& entry : sets.calibration) labelled &= !entry.label.empty();
  Centroids float_centroids, int8_centroids;
  if (labelled) {
    RunBoth(models, sets.calibration, batches,
            [&](const model::Tensor& f, const model::Tensor& q,
                const std::vector<std::string>& labels) {
              for (size_t i = 0; i < labels.size(); ++i) {
                float_centroids.Add(labels[i], f.row(i), f.RowSize());
                int8_centroids.Add(labels[i], q.row(i), q.RowSize());
              }
            });
  }
  std::vector<double> cosines;
  int64_t float_correct = 0, int8_correct = 0;
  const bool classify = labelled && float_centroids.labels() >= 2;
  RunBoth(
      models, sets.holdout, batches,
      [&](const model::Tensor& f, const model::Tensor& q, const std::vector<std::string>& labels) {
        for (size_t i = 0; i < labels.size(); ++i) {
          cosines.push_back(Cosine(f.row(i), q.row(i), f.RowSize()));
          if (!classify) continue;
          float_correct += float_centroids.Nearest(f.row(i), f.RowSize()) == labels[i];
          int8_correct += int8_centroids.Nearest(q.row(i), q.RowSize()) == labels[i];
        }
      });
  report.holdout_images = std::ssize(cosines);
  if (cosines.empty()) return;
  std::sort(cosines.begin(), cosines.end());
  report.cosine_median = Quantile(cosines, 0.5);
  report.cosine_p1 = Quantile(cosines, 0.01);
  report.cosine_min = cosines.front();
  if (classify) {
    report.float_accuracy = static_cast<double>(float_correct) / std::ssize(cosines);
    report.int8_accuracy = static_cast<double>(int8_correct) / std::ssize(cosines);
  }
}

Catalog ListImages(storage::ObjectStore& store, const QuantizeOptions& options) {
  return options.from_list ? Catalog::FromListFile(store, options.images, options.catalog)
                           : Catalog::FromFolder(store, options.images, options.catalog);
}

void CheckOptions(const QuantizeOptions& options) {
  if (options.calibration_images < 1) throw UsageError("--images must be at least 1");
  if (options.holdout_images < 0) throw UsageError("--holdout must be 0 or more");
  if (options.batch_size < 1 || options.batch_size > model::LargestMaxBatch()) {
    throw UsageError("--batch-size must be between 1 and " +
                     std::to_string(model::LargestMaxBatch()));
  }
}

}  // namespace

QuantizeReport QuantizeModel(storage::ObjectStore& store, const QuantizeOptions& options) {
  const auto start = Clock::now();
  CheckOptions(options);
  FloatModel model = ReadFloatModel(store, options);
  const ImageSets sets =
      SplitImages(ListImages(store, options), options.calibration_images, options.holdout_images);
  const quantization::QuantizationPlan plan =
      quantization::PlanQuantization(model.full, model.layer.tensor);
  LogInfo("quantizing " + std::to_string(plan.quantized_nodes.size()) + " nodes of '" +
          options.model + "' (feature layer '" + model.layer.tensor + "'), calibrating " +
          std::to_string(plan.tensors.size()) + " tensors on " +
          std::to_string(sets.calibration.size()) + " images");

  ImageBatches batches(store, options);
  const Calibration calibration = Calibrate(model, plan, sets.calibration, batches, options);
  quantization::InsertQdq(model.full, plan, calibration.parameters,
                          Description(options, calibration));
  const std::string int8_bytes = model.full.Serialize();
  store.Write(options.output, int8_bytes);

  QuantizeReport report;
  report.output = options.output;
  report.calibration_images = calibration.images;
  report.unreadable_images = calibration.unreadable;
  report.method = quantization::CalibrationMethodName(options.method);
  report.quantized_nodes = plan.quantized_nodes;
  report.float_nodes = plan.float_nodes;
  report.float_bytes = std::ssize(model.bytes);
  report.int8_bytes = std::ssize(int8_bytes);
  if (!sets.holdout.empty()) {
    ModelPair models = LoadBoth(model, int8_bytes, options);
    Evaluate(models, sets, batches, report);
    report.unreadable_images += std::ssize(sets.holdout) - report.holdout_images;
  }
  report.seconds = SecondsSince(start);
  return report;
}

}  // namespace fruits::pipeline
