// `fruits classify`: images named by files, folders or S3 prefixes, through an app model.
//
// Images go through in list order, a bounded chunk at a time (reading, decoding and resizing in
// parallel, then the model's batches in parallel), so memory holds a chunk, whatever the number
// of images. A file that cannot be read or decoded is a result with its error; the others go on.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "app/app_model.h"
#include "app/top_labels.h"
#include "storage/object_store.h"

namespace fruits::app {

struct ImageClassification {
  std::string uri;
  std::vector<LabelScore> top;  // empty when error is set
  std::string error;
};

struct ImageClassificationOptions {
  int top = 5;
  // Images a model run takes (0: the model's choice, at most 32).
  int64_t batch_size = 0;
};

// Every image `inputs` names, in order: an image file as is, a folder or prefix as every image
// below it (recursively, in URI byte order). Throws UsageError for an input that names none.
std::vector<std::string> ListImages(storage::ObjectStore& store,
                                    const std::vector<std::string>& inputs);

// Calls `emit` once per URI, in order, from the calling thread. Returns how many failed.
int64_t ClassifyImages(storage::ObjectStore& store, const AppModel& model,
                       const std::vector<std::string>& uris,
                       const ImageClassificationOptions& options,
                       const std::function<void(const ImageClassification&)>& emit);

}  // namespace fruits::app
