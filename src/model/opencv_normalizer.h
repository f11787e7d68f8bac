// Rewrites an ONNX graph into the forms OpenCV 4.6's importer reads, keeping its results.
//
// Real exports (PyTorch at opsets 10 to 17, tf2onnx) use forms the importer refuses or
// mishandles; each pass turns one of them into an equivalent form it reads:
//   - Constant nodes become initializers;
//   - Identity and Dropout (inference: a copy) are removed;
//   - Clip's min/max inputs (opset >= 11) become the min/max attributes of opset 6;
//   - initializers nothing reads are dropped.
// The result is for OpenCV only: it may no longer pass the ONNX checker (Clip's attributes).
#pragma once

#include <string>
#include <vector>

namespace onnx {
class ModelProto;
}

namespace fruits::model {

// Returns one line per pass that changed the graph, e.g. "removed 3 Identity/Dropout nodes".
std::vector<std::string> NormalizeForOpenCv(onnx::ModelProto& model);

}  // namespace fruits::model
