// Weights kept in files beside the model (onnx.save_model(..., save_as_external_data=True), the
// form models over protobuf's 2 GiB limit and many hub exports take).
//
// A tensor whose data_location is EXTERNAL names a `location` (a path relative to the model's
// folder), an `offset` and a `length` in it. The model is read with the data put back into each
// tensor, so that everything after (the checker, the backends, the broadcast to other MPI
// ranks) sees one self-contained model. The data files are read through the same ObjectStore
// as the model: beside a local file, or under the same S3 prefix.
#pragma once

#include <optional>
#include <string>

namespace onnx {
class ModelProto;
}

namespace fruits::storage {
class ObjectStore;
}

namespace fruits::model {

// `bytes` (the model read from `uri`) with its tensors' external data read in; the bytes as they
// are when no tensor is external. Throws fruits::Error naming the tensor and file that cannot
// be read, and a location that leaves the model's folder.
std::string InlineExternalData(std::string bytes, storage::ObjectStore& store,
                               const std::string& uri);

// "tensor 'NAME' in 'LOCATION'" for the first tensor stored outside the model; nullopt if none.
std::optional<std::string> FirstExternalTensor(const onnx::ModelProto& model);

}  // namespace fruits::model
