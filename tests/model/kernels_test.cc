// The XNNPACK backend's own float kernels (src/model/kernels) against naive index-by-index
// references written here, std::erf and friends in double, and small resizes computed by hand from
// the ONNX Resize formulas. Every kernel also runs on a pool of two threads, whose result must be
// bit for bit the caller's thread's; the larger shapes are above the kernels' parallel threshold.

#include <gtest/gtest.h>
#include <pthreadpool.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "model/kernels/concat.h"
#include "model/kernels/elementwise.h"
#include "model/kernels/layer_norm.h"
#include "model/kernels/prelu.h"
#include "model/kernels/reduce.h"
#include "model/kernels/resize.h"
#include "model/kernels/slice.h"
#include "model/kernels/softmax.h"
#include "model/kernels/transpose.h"

namespace fruits::model::kernels {
namespace {

using Dims = std::vector<size_t>;

size_t Count(const Dims& dims) {
  return std::accumulate(dims.begin(), dims.end(), size_t{1}, std::multiplies<>());
}

std::vector<float> Random(size_t n, unsigned seed, float low = -3.0f, float high = 3.0f) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(low, high);
  std::vector<float> values(n);
  for (float& value : values) value = uniform(generator);
  return values;
}

// The multi-index of a linear index.
Dims Unravel(size_t linear, const Dims& dims) {
  Dims index(dims.size());
  for (size_t k = dims.size(); k-- > 0;) {
    index[k] = linear % dims[k];
    linear /= dims[k];
  }
  return index;
}

size_t Ravel(const Dims& index, const Dims& dims) {
  size_t linear = 0;
  for (size_t k = 0; k < dims.size(); ++k) linear = linear * dims[k] + index[k];
  return linear;
}

// Every element equal (infinities and NaN too) or within absolute + relative * |want|; the first
// few misses are reported.
void ExpectNear(const std::vector<float>& got, const std::vector<double>& want, double absolute,
                double relative) {
  ASSERT_EQ(got.size(), want.size());
  int reported = 0;
  for (size_t i = 0; i < got.size() && reported < 5; ++i) {
    const double tolerance = absolute + relative * std::abs(want[i]);
    const bool both_nan = std::isnan(got[i]) && std::isnan(want[i]);
    if (got[i] != want[i] && !both_nan && !(std::abs(got[i] - want[i]) <= tolerance)) {
      ADD_FAILURE() << "element " << i << ": got " << got[i] << ", want " << want[i]
                    << " (tolerance " << tolerance << ")";
      ++reported;
    }
  }
}

// Runs kernel(out, pool) with no pool and with a pool of two threads, into outputs prefilled with
// NaN (so an element never written fails), expects the same bits from both and returns them.
class KernelsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pool_ = pthreadpool_create(2); }
  static void TearDownTestSuite() { pthreadpool_destroy(pool_); }

  template <class Kernel>
  std::vector<float> Run(size_t n, const Kernel& kernel) {
    std::vector<float> single(n, std::numeric_limits<float>::quiet_NaN());
    std::vector<float> pooled = single;
    kernel(single.data(), nullptr);
    kernel(pooled.data(), pool_);
    EXPECT_TRUE(n == 0 || std::memcmp(single.data(), pooled.data(), n * sizeof(float)) == 0)
        << "two threads computed other bits than one";
    return single;
  }

  static inline pthreadpool_t pool_ = nullptr;
};

// ---- Transpose

std::vector<float> NaiveTranspose(const std::vector<float>& in, const Dims& dims,
                                  const Dims& perm) {
  Dims out_dims(dims.size());
  for (size_t k = 0; k < dims.size(); ++k) out_dims[k] = dims[perm[k]];
  std::vector<float> out(in.size());
  for (size_t o = 0; o < out.size(); ++o) {
    const Dims out_index = Unravel(o, out_dims);
    Dims in_index(dims.size());
    for (size_t k = 0; k < dims.size(); ++k) in_index[perm[k]] = out_index[k];
    out[o] = in[Ravel(in_index, dims)];
  }
  return out;
}

class TransposeTest : public KernelsTest {
 protected:
  void Check(const Dims& dims, const Dims& perm) {
    const std::vector<float> in = Random(Count(dims), 1);
    const std::vector<float> got = Run(in.size(), [&](float* out, pthreadpool_t pool) {
      Transpose(in.data(), dims, perm, out, pool);
    });
    EXPECT_EQ(got, NaiveTranspose(in, dims, perm))
        << ::testing::PrintToString(dims) << " perm " << ::testing::PrintToString(perm);
  }

  // Every permutation of dims' axes.
  void CheckEveryPermutation(const Dims& dims) {
    Dims perm(dims.size());
    std::iota(perm.begin(), perm.end(), 0);
    do {
      Check(dims, perm);
    } while (std::next_permutation(perm.begin(), perm.end()));
  }
};

TEST_F(TransposeTest, EveryPermutationOfRank4) {
  for (const Dims& dims :
       std::vector<Dims>{{3, 5, 7, 2}, {2, 1, 9, 4}, {4, 6, 1, 1}, {1, 1, 1, 1}, {4, 33, 17, 40}}) {
    CheckEveryPermutation(dims);
  }
}

TEST_F(TransposeTest, EveryPermutationOfRanks1To5) {
  for (const Dims& dims : std::vector<Dims>{{7},
                                            {1},
                                            {3, 5},
                                            {1, 6},
                                            {129, 67},
                                            {2, 3, 5},
                                            {3, 1, 4},
                                            {64, 9, 40},
                                            {2, 3, 1, 4, 3},
                                            {3, 2, 5, 4, 7},
                                            {2, 20, 3, 16, 11}}) {
    CheckEveryPermutation(dims);
  }
}

TEST_F(TransposeTest, Rank6) {
  const Dims dims{2, 3, 2, 1, 3, 5};
  for (const Dims& perm : std::vector<Dims>{{0, 1, 2, 3, 4, 5},
                                            {5, 4, 3, 2, 1, 0},
                                            {1, 2, 3, 4, 5, 0},
                                            {0, 1, 2, 3, 5, 4},
                                            {4, 0, 5, 2, 3, 1}}) {
    Check(dims, perm);
  }
}

TEST_F(TransposeTest, LayoutsAndChannelShuffle) {
  Check({2, 49, 1280}, {0, 2, 1});      // NHWC -> NCHW before a Flatten
  Check({2, 37, 41, 3}, {0, 3, 1, 2});  // NHWC -> NCHW
  Check({2, 3, 37, 41}, {0, 2, 3, 1});  // NCHW -> NHWC, a tf2onnx input
  Check({784, 2, 58}, {0, 2, 1});       // ShuffleNetV2's channel shuffle, 2 groups
  Check({2, 28, 28, 2, 58}, {0, 1, 2, 4, 3});
}

// ---- Concat

std::vector<float> NaiveConcat(const std::vector<std::vector<float>>& inputs,
                               const std::vector<Dims>& dims, size_t axis) {
  Dims out_dims = dims[0];
  out_dims[axis] = 0;
  for (const Dims& d : dims) out_dims[axis] += d[axis];
  std::vector<float> out(Count(out_dims));
  for (size_t o = 0; o < out.size(); ++o) {
    Dims index = Unravel(o, out_dims);
    size_t i = 0;
    while (index[axis] >= dims[i][axis]) index[axis] -= dims[i++][axis];
    out[o] = inputs[i][Ravel(index, dims[i])];
  }
  return out;
}

class ConcatTest : public KernelsTest {
 protected:
  void Check(const std::vector<Dims>& dims, size_t axis) {
    std::vector<std::vector<float>> inputs;
    std::vector<const float*> pointers;
    size_t total = 0;
    for (size_t i = 0; i < dims.size(); ++i) {
      inputs.push_back(Random(Count(dims[i]), 10 + i));
      total += inputs.back().size();
    }
    for (const auto& input : inputs) pointers.push_back(input.data());
    const std::vector<float> got = Run(
        total, [&](float* out, pthreadpool_t pool) { Concat(pointers, dims, axis, out, pool); });
    EXPECT_EQ(got, NaiveConcat(inputs, dims, axis)) << "axis " << axis;
  }
};

TEST_F(ConcatTest, FirstMiddleAndLastAxes) {
  Check({{5}, {1}, {3}}, 0);
  Check({{2, 3, 5}, {1, 3, 5}, {4, 3, 5}}, 0);
  Check({{2, 3, 5}, {2, 1, 5}, {2, 7, 5}}, 1);
  Check({{2, 3, 5}, {2, 3, 1}, {2, 3, 6}}, 2);
  Check({{3, 7, 9, 5}, {3, 7, 9, 1}, {3, 7, 9, 7}}, 3);  // NHWC channels, InceptionV3's Concat
  Check({{1, 4}}, 1);
  Check({{2, 3}, {2, 0}, {2, 4}}, 1);  // an empty input
}

TEST_F(ConcatTest, LargeChannels) { Check({{4, 28, 28, 64}, {4, 28, 28, 32}, {4, 28, 28, 3}}, 3); }

// ---- Slice

std::vector<float> NaiveSlice(const std::vector<float>& in, const Dims& dims, size_t axis,
                              size_t start, size_t count, size_t step) {
  Dims out_dims = dims;
  out_dims[axis] = count;
  std::vector<float> out(Count(out_dims));
  for (size_t o = 0; o < out.size(); ++o) {
    Dims index = Unravel(o, out_dims);
    index[axis] = start + index[axis] * step;
    out[o] = in[Ravel(index, dims)];
  }
  return out;
}

class SliceTest : public KernelsTest {
 protected:
  void Check(const Dims& dims, size_t axis, size_t start, size_t count, size_t step) {
    const std::vector<float> in = Random(Count(dims), 2);
    Dims out_dims = dims;
    out_dims[axis] = count;
    const std::vector<float> got = Run(Count(out_dims), [&](float* out, pthreadpool_t pool) {
      Slice(in.data(), dims, axis, start, count, step, out, pool);
    });
    EXPECT_EQ(got, NaiveSlice(in, dims, axis, start, count, step))
        << "axis " << axis << " start " << start << " count " << count << " step " << step;
  }
};

TEST_F(SliceTest, EveryAxisAndStep) {
  const Dims dims{5, 7, 9};
  for (size_t axis = 0; axis < 3; ++axis) {
    const size_t length = dims[axis];
    Check(dims, axis, 0, length, 1);
    Check(dims, axis, 1, 3, 1);
    Check(dims, axis, 0, (length + 1) / 2, 2);
    Check(dims, axis, 1, 2, 3);
    Check(dims, axis, length - 1, 1, 1);
    Check(dims, axis, 2, 0, 1);
  }
  Check({11}, 0, 3, 4, 2);
}

TEST_F(SliceTest, LargeSplitAndStride) {
  Check({4, 3136, 116}, 2, 58, 58, 1);  // ShuffleNetV2's channel split, second half
  // Sizes whose ranges of the pool start inside an outer row.
  Check({6, 64, 28, 28}, 1, 1, 32, 2);
  Check({3, 60000}, 1, 5, 18000, 3);
}

// ---- ReduceMean, ReduceSum, ReduceMax

struct ReduceShape {
  size_t outer, reduced, inner;
};

const std::vector<ReduceShape> kReduceShapes = {{1, 1, 1},      {3, 7, 1},    {5, 13, 3},
                                                {2, 49, 1280},  {1, 300, 1},  {7, 9, 257},
                                                {32, 49, 1280}, {2000, 31, 1}};

// in[o, :, i] combined in double by `combine`, starting from the first element.
template <class Combine>
std::vector<double> NaiveReduce(const std::vector<float>& in, const ReduceShape& s,
                                Combine combine) {
  std::vector<double> out(s.outer * s.inner);
  for (size_t o = 0; o < s.outer; ++o) {
    for (size_t i = 0; i < s.inner; ++i) {
      double result = in[o * s.reduced * s.inner + i];
      for (size_t r = 1; r < s.reduced; ++r) {
        result = combine(result, static_cast<double>(in[(o * s.reduced + r) * s.inner + i]));
      }
      out[o * s.inner + i] = result;
    }
  }
  return out;
}

TEST_F(KernelsTest, ReduceSumAndMeanWithinFloatRounding) {
  for (const ReduceShape& s : kReduceShapes) {
    SCOPED_TRACE(::testing::Message() << s.outer << " x " << s.reduced << " x " << s.inner);
    const std::vector<float> in = Random(s.outer * s.reduced * s.inner, 3);
    const size_t n = s.outer * s.inner;
    const std::vector<double> sum = NaiveReduce(in, s, std::plus<>());
    // Float accumulation: a few roundings of the running sum, which stays within 3 * reduced.
    const double tolerance = 1e-6 * 3.0 * static_cast<double>(s.reduced);
    ExpectNear(Run(n,
                   [&](float* out, pthreadpool_t pool) {
                     ReduceSum(in.data(), s.outer, s.reduced, s.inner, out, pool);
                   }),
               sum, tolerance, 0);
    std::vector<double> mean = sum;
    for (double& value : mean) value /= static_cast<double>(s.reduced);
    ExpectNear(Run(n,
                   [&](float* out, pthreadpool_t pool) {
                     ReduceMean(in.data(), s.outer, s.reduced, s.inner, out, pool);
                   }),
               mean, tolerance / static_cast<double>(s.reduced), 1e-6);
  }
}

TEST_F(KernelsTest, ReduceMaxIsExact) {
  for (const ReduceShape& s : kReduceShapes) {
    SCOPED_TRACE(::testing::Message() << s.outer << " x " << s.reduced << " x " << s.inner);
    const std::vector<float> in = Random(s.outer * s.reduced * s.inner, 4);
    const std::vector<double> want =
        NaiveReduce(in, s, [](double a, double b) { return std::max(a, b); });
    const std::vector<float> got = Run(s.outer * s.inner, [&](float* out, pthreadpool_t pool) {
      ReduceMax(in.data(), s.outer, s.reduced, s.inner, out, pool);
    });
    ExpectNear(got, want, 0, 0);
  }
}

// ---- LayerNorm

std::vector<double> NaiveLayerNorm(const std::vector<float>& in, size_t rows, size_t channels,
                                   const float* scale, const float* bias, float epsilon) {
  std::vector<double> out(in.size());
  for (size_t r = 0; r < rows; ++r) {
    const float* x = in.data() + r * channels;
    double mean = 0;
    for (size_t c = 0; c < channels; ++c) mean += x[c];
    mean /= static_cast<double>(channels);
    double variance = 0;
    for (size_t c = 0; c < channels; ++c) variance += (x[c] - mean) * (x[c] - mean);
    variance /= static_cast<double>(channels);
    for (size_t c = 0; c < channels; ++c) {
      out[r * channels + c] =
          (x[c] - mean) / std::sqrt(variance + epsilon) * (scale ? scale[c] : 1.0) +
          (bias ? bias[c] : 0.0);
    }
  }
  return out;
}

TEST_F(KernelsTest, LayerNormMatchesDoublePrecision) {
  struct Case {
    size_t rows, channels;
    bool scale, bias;
    float offset;  // added to every input: a large mean must not cost accuracy
    float epsilon;
  };
  for (const Case& c : std::vector<Case>{{1, 1, true, true, 0, 1e-5f},
                                         {3, 7, true, true, 0, 1e-5f},
                                         {5, 96, false, true, 0, 1e-6f},
                                         {5, 96, true, false, 0, 1e-5f},
                                         {4, 33, false, false, 1000, 1e-5f},
                                         {3136, 96, true, true, 0, 1e-6f}}) {
    SCOPED_TRACE(::testing::Message() << c.rows << " x " << c.channels << " offset " << c.offset);
    std::vector<float> in = Random(c.rows * c.channels, 5);
    for (float& value : in) value += c.offset;
    const std::vector<float> scale = Random(c.channels, 6, -2, 2);
    const std::vector<float> bias = Random(c.channels, 7);
    const float* scale_data = c.scale ? scale.data() : nullptr;
    const float* bias_data = c.bias ? bias.data() : nullptr;
    const std::vector<float> got = Run(in.size(), [&](float* out, pthreadpool_t pool) {
      LayerNorm(in.data(), c.rows, c.channels, scale_data, bias_data, c.epsilon, out, pool);
    });
    ExpectNear(got, NaiveLayerNorm(in, c.rows, c.channels, scale_data, bias_data, c.epsilon), 2e-6,
               2e-6);
  }
}

// ---- Softmax

std::vector<double> NaiveSoftmax(const std::vector<float>& in, size_t rows, size_t channels) {
  std::vector<double> out(in.size());
  for (size_t r = 0; r < rows; ++r) {
    const float* x = in.data() + r * channels;
    const double max = *std::max_element(x, x + channels);
    double sum = 0;
    for (size_t c = 0; c < channels; ++c) sum += std::exp(x[c] - max);
    for (size_t c = 0; c < channels; ++c) out[r * channels + c] = std::exp(x[c] - max) / sum;
  }
  return out;
}

TEST_F(KernelsTest, SoftmaxMatchesDoublePrecisionWithLargeLogits) {
  struct Case {
    size_t rows, channels;
    float spread, offset;  // logits in offset +- spread: exp(1000) overflows a float
  };
  for (const Case& c : std::vector<Case>{{1, 1, 3, 0},
                                         {4, 10, 3, 0},
                                         {3, 1000, 30, 1000},
                                         {5, 17, 100, -1000},
                                         {64, 1000, 10, 0}}) {
    SCOPED_TRACE(::testing::Message() << c.rows << " x " << c.channels << " offset " << c.offset);
    std::vector<float> in = Random(c.rows * c.channels, 8, -c.spread, c.spread);
    for (float& value : in) value += c.offset;
    const std::vector<float> got = Run(in.size(), [&](float* out, pthreadpool_t pool) {
      Softmax(in.data(), c.rows, c.channels, out, pool);
    });
    ExpectNear(got, NaiveSoftmax(in, c.rows, c.channels), 1e-7, 2e-6);
  }
}

// ---- Element-wise functions

// -10..10 in 40001 steps (above the parallel threshold) and values where functions saturate,
// underflow or cancel, infinities and NaN.
std::vector<float> ElementwiseInputs() {
  constexpr float kInfinity = std::numeric_limits<float>::infinity();
  std::vector<float> values{0.0f,  -0.0f,     1e-30f,     -1e-30f,
                            1e-7f, -1e-7f,    30.0f,      -30.0f,
                            88.0f, kInfinity, -kInfinity, std::numeric_limits<float>::quiet_NaN()};
  for (int i = -20000; i <= 20000; ++i) values.push_back(static_cast<float>(i) * 5e-4f);
  return values;
}

class ElementwiseTest : public KernelsTest {
 protected:
  // kernel over `inputs`, out of place and in place, against want(x) computed in double and
  // rounded to float (where it overflows or underflows too), within absolute + relative * |want|.
  template <class Kernel, class Want>
  void Check(const std::vector<float>& inputs, const Kernel& kernel, const Want& want,
             double absolute, double relative) {
    std::vector<double> expected(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      expected[i] = static_cast<float>(want(static_cast<double>(inputs[i])));
    }
    const std::vector<float> got = Run(inputs.size(), [&](float* out, pthreadpool_t pool) {
      kernel(inputs.data(), inputs.size(), out, pool);
    });
    ExpectNear(got, expected, absolute, relative);
    std::vector<float> in_place = inputs;
    kernel(in_place.data(), in_place.size(), in_place.data(), pool_);
    EXPECT_EQ(0, std::memcmp(in_place.data(), got.data(), got.size() * sizeof(float)))
        << "in place differs";
  }
};

double ExactErf(double x) { return std::erf(x); }

// Erf's rational approximation against std::erf in double, within 5e-7 absolute.
TEST_F(ElementwiseTest, Erf) {
  Check(ElementwiseInputs(), Erf, ExactErf, 5e-7, 0);
  // Denser where the fit's errors are largest (|x| in 1..4) and around its clamp.
  std::vector<float> dense;
  for (int i = -400000; i <= 400000; ++i) dense.push_back(static_cast<float>(i) * 1e-5f);
  Check(dense, Erf, ExactErf, 5e-7, 0);
}

// The reference writes 1 + erf(x / sqrt 2) as erfc(-x / sqrt 2), which does not cancel (even in
// double at x = -10). The kernel's 1 + erf does cancel below x = -3: its error there is absolute.
double ExactGelu(double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }

TEST_F(ElementwiseTest, GeluExact) { Check(ElementwiseInputs(), Gelu, ExactGelu, 1.5e-6, 1e-6); }

double ExactGeluTanh(double x) {
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

TEST_F(ElementwiseTest, GeluTanhApproximation) {
  Check(ElementwiseInputs(), GeluTanh, ExactGeluTanh, 1e-6, 1e-6);
}

double ExactTanh(double x) { return std::tanh(x); }

TEST_F(ElementwiseTest, Tanh) { Check(ElementwiseInputs(), Tanh, ExactTanh, 1e-7, 1e-6); }

TEST_F(ElementwiseTest, PowSpecialAndGeneralExponents) {
  std::vector<float> non_negative;
  for (float x : ElementwiseInputs()) {
    if (x >= 0 && !std::signbit(x)) non_negative.push_back(x);
  }
  for (float exponent : {1.0f, 2.0f, 0.5f, 3.0f, -1.5f, 2.5f}) {
    SCOPED_TRACE(::testing::Message() << "exponent " << exponent);
    const bool whole = exponent == std::floor(exponent) && exponent > 0;
    const auto pow = [exponent](const float* in, size_t n, float* out, pthreadpool_t pool) {
      Pow(in, n, exponent, out, pool);
    };
    const auto exact = [exponent](double x) { return std::pow(x, static_cast<double>(exponent)); };
    Check(whole ? ElementwiseInputs() : non_negative, pow, exact, 0, 1e-6);
  }
}

// ---- PRelu

TEST_F(KernelsTest, PReluPerChannelAndShared) {
  for (const auto& shape : std::vector<std::pair<size_t, size_t>>{{1, 1}, {7, 5}, {3136, 24}}) {
    const size_t rows = shape.first;
    const size_t channels = shape.second;
    const std::vector<float> in = Random(rows * channels, 9);
    const std::vector<float> slopes = Random(channels, 10, -0.5f, 0.5f);
    for (size_t slope_channels : {channels, size_t{1}}) {
      std::vector<float> want(in.size());
      for (size_t i = 0; i < in.size(); ++i) {
        const float slope = slopes[slope_channels == 1 ? 0 : i % channels];
        want[i] = in[i] >= 0 ? in[i] : in[i] * slope;
      }
      const std::vector<float> got = Run(in.size(), [&](float* out, pthreadpool_t pool) {
        PRelu(in.data(), rows, channels, slopes.data(), slope_channels, out, pool);
      });
      EXPECT_EQ(got, want) << rows << " x " << channels << ", slopes " << slope_channels;
    }
  }
}

// ---- Resize

// A one-channel image `in` (in_height x in_width) resized to `want` (out_height x out_width, read
// off the ONNX Resize formulas by hand). Checked over 2 images of 3 channels made from it by
// value * (channel + 1) + 10 * image, an affine map every resize keeps, so the channels and images
// are told apart.
class ResizeTest : public KernelsTest {
 protected:
  template <class Kernel>
  void Check(ResizeShape shape, const std::vector<float>& in, const std::vector<double>& want,
             const Kernel& kernel) {
    shape.batch = 2;
    shape.channels = 3;
    ASSERT_EQ(in.size(), shape.in_height * shape.in_width);
    ASSERT_EQ(want.size(), shape.out_height * shape.out_width);
    const auto spread = [](auto pixels) {
      std::vector<typename decltype(pixels)::value_type> all;
      for (size_t image = 0; image < 2; ++image) {
        for (auto value : pixels) {
          for (size_t c = 0; c < 3; ++c) all.push_back(value * (c + 1.0f) + 10.0f * image);
        }
      }
      return all;
    };
    const std::vector<float> input = spread(in);
    const std::vector<float> got = Run(2 * want.size() * 3, [&](float* out, pthreadpool_t pool) {
      kernel(input.data(), shape, out, pool);
    });
    ExpectNear(got, spread(want), 1e-5, 1e-6);
  }

  static auto Nearest(NearestMode mode) {
    return [mode](const float* in, const ResizeShape& shape, float* out, pthreadpool_t pool) {
      ResizeNearest(in, shape, mode, out, pool);
    };
  }
  static auto Bilinear(BilinearMode mode) {
    return [mode](const float* in, const ResizeShape& shape, float* out, pthreadpool_t pool) {
      ResizeBilinear(in, shape, mode, out, pool);
    };
  }
};

ResizeShape Sizes(size_t in_height, size_t in_width, size_t out_height, size_t out_width) {
  return {.in_height = in_height,
          .in_width = in_width,
          .out_height = out_height,
          .out_width = out_width};
}

TEST_F(ResizeTest, NearestAsymmetricFloor) {
  // x_original = x / scale, floored.
  const auto kernel = Nearest(NearestMode::kAsymmetricFloor);
  Check(Sizes(2, 2, 4, 4), {1, 2, 3, 4}, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, kernel);
  // x * 3 / 5 = 0, 0.6, 1.2, 1.8, 2.4
  Check(Sizes(1, 3, 1, 5), {1, 2, 3}, {1, 1, 2, 2, 3}, kernel);
  // x * 4 / 3 = 0, 1.33, 2.67
  Check(Sizes(1, 4, 1, 3), {1, 2, 3, 4}, {1, 2, 3}, kernel);
  // scales 2.5 given: out = floor(2 * 2.5) = 5; x / 2.5 = 0, 0.4, 0.8, 1.2, 1.6
  ResizeShape given = Sizes(1, 2, 1, 5);
  given.height_scale = 1;
  given.width_scale = 2.5f;
  Check(given, {1, 2}, {1, 1, 1, 2, 2}, kernel);
}

TEST_F(ResizeTest, NearestHalfPixelRoundPreferFloor) {
  // x_original = (x + 0.5) / scale - 0.5, rounded with halves down, clamped.
  const auto kernel = Nearest(NearestMode::kHalfPixelRoundPreferFloor);
  // -0.25, 0.25, 0.75, 1.25 -> 0, 0, 1, 1
  Check(Sizes(1, 2, 1, 4), {1, 2}, {1, 1, 2, 2}, kernel);
  // 0.5, 2.5: halves go down -> 0, 2
  Check(Sizes(1, 4, 1, 2), {1, 2, 3, 4}, {1, 3}, kernel);
  // -1/6, 0.5, 7/6 -> 0, 0, 1
  Check(Sizes(1, 2, 1, 3), {1, 2}, {1, 1, 2}, kernel);
  // both axes: rows 1.0 -> 1 (3 rows to 1); columns 0.5, 2.5 -> 0, 2
  Check(Sizes(3, 4, 1, 2), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {5, 7}, kernel);
}

TEST_F(ResizeTest, BilinearHalfPixel) {
  const auto kernel = Bilinear(BilinearMode::kHalfPixel);
  // -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1) on both axes
  Check(Sizes(2, 2, 4, 4), {1, 3, 5, 7},
        {1, 1.5, 2.5, 3, 2, 2.5, 3.5, 4, 4, 4.5, 5.5, 6, 5, 5.5, 6.5, 7}, kernel);
  // 1/6, 1.5, 17/6
  Check(Sizes(1, 4, 1, 3), {1, 2, 4, 8}, {1 + 1.0 / 6, 3, 4 + 4 * 5.0 / 6}, kernel);
  // one output: 1.5
  Check(Sizes(1, 4, 1, 1), {1, 2, 4, 8}, {3}, kernel);
  // scales 1.5 given (out = floor(4.5) = 4): (x + 0.5) / 1.5 - 0.5 = -1/6, 0.5, 7/6, 11/6
  ResizeShape given = Sizes(1, 3, 1, 4);
  given.height_scale = 1;
  given.width_scale = 1.5f;
  Check(given, {1, 2, 4}, {1, 1.5, 2 + 2.0 / 6, 2 + 2 * 5.0 / 6}, kernel);
}

TEST_F(ResizeTest, BilinearPytorchHalfPixel) {
  const auto kernel = Bilinear(BilinearMode::kPytorchHalfPixel);
  // as half_pixel when the output length is above 1
  Check(Sizes(1, 4, 1, 3), {1, 2, 4, 8}, {1 + 1.0 / 6, 3, 4 + 4 * 5.0 / 6}, kernel);
  // one output: coordinate 0
  Check(Sizes(1, 4, 1, 1), {1, 2, 4, 8}, {1}, kernel);
  // rows 3 -> 1 (coordinate 0), columns 2 -> 4 as half_pixel
  Check(Sizes(3, 2, 1, 4), {1, 3, 5, 7, 9, 11}, {1, 1.5, 2.5, 3}, kernel);
}

TEST_F(ResizeTest, BilinearAlignCorners) {
  const auto kernel = Bilinear(BilinearMode::kAlignCorners);
  // x * (3 - 1) / (5 - 1) = 0, 0.5, 1, 1.5, 2
  Check(Sizes(1, 3, 1, 5), {1, 2, 4}, {1, 1.5, 2, 3, 4}, kernel);
  // x * 3 / 1 = 0, 3
  Check(Sizes(1, 4, 1, 2), {1, 2, 4, 8}, {1, 8}, kernel);
  // one output: coordinate 0
  Check(Sizes(1, 4, 1, 1), {1, 2, 4, 8}, {1}, kernel);
  // rows 0, 0.5, 1; columns 0, 1
  Check(Sizes(2, 2, 3, 2), {1, 3, 5, 7}, {1, 3, 3, 5, 5, 7}, kernel);
}

TEST_F(ResizeTest, LargeUpsamplingRepeatsPixels) {
  // Nearest asymmetric by 2 repeats each pixel 2 x 2; bilinear at the same size is the identity.
  const ResizeShape shape{.batch = 2,
                          .in_height = 56,
                          .in_width = 56,
                          .channels = 24,
                          .out_height = 112,
                          .out_width = 112};
  const std::vector<float> in = Random(2 * 56 * 56 * 24, 11);
  std::vector<float> want(2 * 112 * 112 * 24);
  for (size_t o = 0; o < want.size(); ++o) {
    const Dims index = Unravel(o, {2, 112, 112, 24});
    want[o] = in[Ravel({index[0], index[1] / 2, index[2] / 2, index[3]}, {2, 56, 56, 24})];
  }
  EXPECT_EQ(Run(want.size(),
                [&](float* out, pthreadpool_t pool) {
                  ResizeNearest(in.data(), shape, NearestMode::kAsymmetricFloor, out, pool);
                }),
            want);
  const ResizeShape same{.batch = 2,
                         .in_height = 56,
                         .in_width = 56,
                         .channels = 24,
                         .out_height = 56,
                         .out_width = 56};
  for (BilinearMode mode :
       {BilinearMode::kHalfPixel, BilinearMode::kPytorchHalfPixel, BilinearMode::kAlignCorners}) {
    EXPECT_EQ(Run(in.size(),
                  [&](float* out, pthreadpool_t pool) {
                    ResizeBilinear(in.data(), same, mode, out, pool);
                  }),
              in);
  }
}

}  // namespace
}  // namespace fruits::model::kernels
