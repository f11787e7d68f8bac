// Rewrites an ONNX graph into the forms OpenCV 4.6's importer reads, keeping its results.
//
// Real exports (PyTorch at opsets 10 to 17, tf2onnx) use forms the importer refuses or
// mishandles; each pass turns one of them into an equivalent form it reads:
//   - Constant nodes become initializers;
//   - Identity and Dropout (inference: a copy) are removed;
//   - Clip's min/max inputs (opset >= 11) become the min/max attributes of opset 6;
//   - Reshape(x, [batch of x, -1]) computed from Shape(x) becomes Flatten(x);
//   - a [N, C, 1, 1] scale combined with a [N, C, H, W] map (squeeze-and-excitation) is first
//     resized to [N, C, H, W], which OpenCV combines at any batch size;
//   - nodes and initializers nothing reads are dropped.
// Shapes come from the graph's value_info (OnnxModel runs shape inference).
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
