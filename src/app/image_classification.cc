#include "app/image_classification.h"

#include <tbb/parallel_for.h>

#include <algorithm>

#include "image/decode.h"
#include "pipeline/catalog.h"
#include "util/error.h"

namespace fruits::app {

namespace {

constexpr int64_t kDefaultBatch = 32;

}  // namespace

std::vector<std::string> ListImages(storage::ObjectStore& store,
                                    const std::vector<std::string>& inputs) {
  std::vector<std::string> uris;
  for (const std::string& input : inputs) {
    if (pipeline::HasImageExtension(input) && store.Exists(input)) {
      uris.push_back(input);
      continue;
    }
    const pipeline::Catalog catalog = pipeline::Catalog::FromFolder(
        store, input, pipeline::CatalogOptions{.label_from = pipeline::LabelSource::kNone});
    for (const pipeline::CatalogEntry& entry : catalog.entries()) uris.push_back(entry.uri);
  }
  return uris;
}

int64_t ClassifyImages(storage::ObjectStore& store, const AppModel& model,
                       const std::vector<std::string>& uris,
                       const ImageClassificationOptions& options,
                       const std::function<void(const ImageClassification&)>& emit) {
  const int64_t batch = std::clamp<int64_t>(
      options.batch_size > 0 ? options.batch_size : kDefaultBatch, 1, model.max_batch());
  const int64_t runs = std::max(1, model.concurrent_runs());
  const int64_t chunk = batch * runs;
  const size_t floats = model.preprocessor().image_floats();
  const int64_t labels = static_cast<int64_t>(model.info().labels.size());
  int64_t failures = 0;
  for (size_t begin = 0; begin < uris.size(); begin += static_cast<size_t>(chunk)) {
    const size_t end = std::min(uris.size(), begin + static_cast<size_t>(chunk));
    const std::vector<std::string> chunk_uris(uris.begin() + static_cast<std::ptrdiff_t>(begin),
                                              uris.begin() + static_cast<std::ptrdiff_t>(end));
    std::vector<Result<std::string>> bytes = store.ReadMany(chunk_uris);
    std::vector<ImageClassification> results(chunk_uris.size());
    // pixels[i]: image i as the model takes it; empty when it failed.
    std::vector<std::vector<float>> pixels(chunk_uris.size());
    tbb::parallel_for(size_t{0}, chunk_uris.size(), [&](size_t i) {
      results[i].uri = chunk_uris[i];
      if (!bytes[i].ok()) {
        results[i].error = "cannot read: " + bytes[i].error();
        return;
      }
      Result<image::RgbImage> decoded = image::DecodeImage(bytes[i].value(), {});
      if (!decoded.ok()) {
        results[i].error = decoded.error();
        return;
      }
      pixels[i].resize(floats);
      model.preprocessor().Run(decoded.value(), pixels[i].data());
    });
    std::vector<size_t> ok;
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].error.empty()) ok.push_back(i);
    }
    const size_t batches =
        (ok.size() + static_cast<size_t>(batch) - 1) / static_cast<size_t>(batch);
    tbb::parallel_for(size_t{0}, batches, [&](size_t b) {
      const size_t first = b * static_cast<size_t>(batch);
      const size_t count = std::min(ok.size() - first, static_cast<size_t>(batch));
      model::Tensor input(
          {static_cast<int64_t>(count), model.info().height, model.info().width, 3});
      for (size_t j = 0; j < count; ++j) {
        std::copy(pixels[ok[first + j]].begin(), pixels[ok[first + j]].end(), input.row(j));
      }
      const model::Tensor probabilities = model.Classify(input);
      for (size_t j = 0; j < count; ++j) {
        results[ok[first + j]].top =
            TopLabels(probabilities.row(static_cast<int64_t>(j)), labels, options.top);
      }
    });
    for (const ImageClassification& result : results) {
      if (!result.error.empty()) ++failures;
      emit(result);
    }
  }
  return failures;
}

}  // namespace fruits::app
