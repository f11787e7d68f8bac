// Rewrites of the cut graph that every backend needs, done once in LoadModel before a backend
// sees it: forms converters write that mean the same as a simpler one. In order:
//
// - Constants as initializers (initializer_rewrites.h): `Constant` nodes, and `Identity` or
//   inference `Dropout` nodes copying an initializer (torch's deduplicated weights).
// - Shape arithmetic folded (shape_folding.h): Shape -> Gather -> ... -> Reshape chains become
//   initializers now that the input size is fixed; a Reshape keeps the batch open with a 0.
// - `auto_pad` SAME_UPPER / SAME_LOWER (Keras and TF converters) on Conv, MaxPool, AveragePool
//   and LpPool become explicit `pads`, computed from the input's height and width (fixed by
//   then): per axis, total = max(0, (ceil(in / stride) - 1) * stride + (kernel - 1) * dilation
//   + 1 - in), split evenly, the odd one at the end for SAME_UPPER and at the start for
//   SAME_LOWER, as the ONNX operator specification defines them.
// - Pooling (pooling_rewrites.h): ceil_mode as end pads; an AveragePool that counts its pads
//   as a Pad node before it.
// A node whose shapes are not known is left as it is (a backend that cannot run it says so).
// The results are the same numbers: each rewrite is exact.
#pragma once

#include <string>
#include <vector>

#include "model/onnx_model.h"

namespace fruits::model {

// Returns one line per kind of rewrite made ("3 auto_pad SAME_UPPER/SAME_LOWER nodes given
// explicit pads"), in the order above, for `fruits model inspect`.
std::vector<std::string> PrepareGraph(OnnxModel& model);

}  // namespace fruits::model
