// Shape arithmetic folded into initializers once the input size is known.
//
// Exporters write a model's reshapes as arithmetic on its tensors' shapes (torch's
// `x.view(x.size(0), -1)`: Shape -> Gather -> Unsqueeze -> Concat -> Reshape). With the image
// size fixed every such value is a constant except where the batch size enters, and the backends
// want constants. The integer nodes computed only from shapes and constants (Shape, Size,
// Gather, Unsqueeze, Squeeze, Concat, Cast, Slice, Add, Sub, Mul, Div, ConstantOfShape, Range,
// Expand, Reshape, Identity) are evaluated and the values other nodes read become initializers;
// the nodes left without a reader are removed.
//
// The batch size stays open (the backends run 1 to 256 images at once), so every value is
// evaluated twice, with the shapes the graph has at two batch sizes: an element equal in both
// is a constant; one equal to the batch in both is the batch. A Reshape target whose first
// element is the batch (and whose data's first dimension is the batch) becomes 0, ONNX's "copy
// this dimension"; a value the batch enters in any other way is left to its nodes, as is a node
// whose input shapes are not known. Folding repeats, with shapes inferred again, until nothing
// more folds: a folded Reshape gives the shapes the next channel shuffle reads.
#pragma once

#include "model/onnx_model.h"

namespace fruits::model {

// Returns the number of nodes removed.
int FoldShapeArithmetic(OnnxModel& model);

}  // namespace fruits::model
