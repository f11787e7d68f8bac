// Pooling options the backends lack, as the same pooling in the form they run.
//
// - `ceil_mode = 1` on MaxPool, and on AveragePool that leaves padding out of its average
//   (count_include_pad = 0), becomes ceil_mode 0 with the end pads that give the same output
//   size: per axis the output is ceil((in + pads - (kernel - 1) * dilation - 1) / stride) + 1,
//   and the last window, which ceil mode cuts at the input's end, is cut the same by padding
//   that a max ignores and an average leaves out. Where that formula and torch's (which drops a
//   last window starting in the end padding) disagree the node is left as it is.
// - AveragePool with `count_include_pad = 1` and pads becomes a Pad (constant 0) node before it
//   and the pool without pads: the zeros are then counted as the model says.
// A node whose input shape is not known (ceil mode needs it) is left as it is.
#pragma once

#include "model/onnx_model.h"

namespace fruits::model {

struct PoolingRewrites {
  int ceil_mode = 0;        // pools given ceil_mode 0 and end pads
  int padded_averages = 0;  // AveragePool nodes given a Pad node
};

PoolingRewrites RewritePooling(OnnxModel& model);

}  // namespace fruits::model
