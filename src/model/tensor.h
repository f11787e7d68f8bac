// A dense float32 tensor in row-major order: what backends take in and give back.
//
// The tensor owns its values. Shapes are stated once, here: dimension 0 is the batch.
// Not thread-safe for writes; const access from several threads is fine.
#pragma once

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace fruits::model {

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled. REQUIRES: every dimension >= 0.
  explicit Tensor(std::vector<int64_t> shape)
      : shape_(std::move(shape)), values_(ElementCount(shape_)) {}

  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t dim(size_t axis) const { return shape_[axis]; }
  size_t size() const { return values_.size(); }
  float* data() { return values_.data(); }
  const float* data() const { return values_.data(); }
  // Row i of a tensor seen as [dim(0) x rest].
  const float* row(int64_t i) const { return values_.data() + i * RowSize(); }
  float* row(int64_t i) { return values_.data() + i * RowSize(); }
  size_t RowSize() const { return shape_.empty() || shape_[0] == 0 ? 0 : size() / shape_[0]; }

  static size_t ElementCount(const std::vector<int64_t>& shape) {
    return std::accumulate(shape.begin(), shape.end(), size_t{1},
                           [](size_t a, int64_t b) { return a * static_cast<size_t>(b); });
  }

 private:
  std::vector<int64_t> shape_;
  std::vector<float> values_;
};

// "[1, 3, 224, 224]"; a negative dimension (unknown) prints as "?".
std::string ShapeToString(const std::vector<int64_t>& shape);

}  // namespace fruits::model
