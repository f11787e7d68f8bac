// Writes a deterministic synthetic classification dataset the size and shape of Fruits-360's
// features, for bench/classify_vs_sklearn.sh: fruits reads the Parquet parts, scikit-learn the
// raw float32 files, and both see the same rows.
//
//   classify_bench_data --rows 150000 --test-rows 25000 --dim 1280 --labels 131 --seed 0 -o DIR
//
//   DIR/train/features/part-NNNNN.parquet   path, label, features: list<float> (FeaturesSchema)
//   DIR/test/features/part-NNNNN.parquet    footers as `fruits extract` writes them
//   DIR/train.f32, DIR/test.f32             rows x dim float32, little-endian, row-major
//   DIR/train.labels, DIR/test.labels       one label per line, in row order
//
// The rows imitate pooled CNN features: each label has a mean in a 48-dimensional latent space,
// a row adds unit Gaussian latent noise, a fixed random loading matrix (whose columns shrink, so
// the spectrum decays) maps it to `dim` values, a per-value offset and small isotropic noise are
// added and the result goes through ReLU (non-negative, ~40% zeros, like MobileNetV2's pooled
// features). The class separation is set so that PCA(70) + LogisticRegression() reaches 85% on
// 15,000 rows (measured) and more on 150,000: high, not 100%, so equal accuracy means something.
// Labels have 400 to 1000 weight each (Fruits-360's spread), scaled to the row count; rows are
// sorted by label, as a catalog of label folders lists them.
//
// Every row draws from its own random stream (seed, split, row), so the data do not depend on the
// part size; one part is in memory at a time.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <string>
#include <vector>

#include "parquet/writer.h"
#include "pipeline/features_part.h"
#include "pipeline/output_layout.h"
#include "storage/local_store.h"
#include "util/error.h"
#include "util/sha256.h"
#include "util/version.h"

namespace {

namespace footer = fruits::pipeline::footer;

constexpr int kLatent = 48;
constexpr double kSeparation = 0.65;  // spread of the label means, in latent noise units
constexpr double kOffsetMean = 0.2;
constexpr double kOffsetSpread = 0.3;
constexpr double kIsotropicNoise = 0.3;

struct Options {
  int64_t rows = 150000;
  int64_t test_rows = 25000;
  int64_t dim = 1280;
  int labels = 131;
  uint64_t seed = 0;
  int64_t part_rows = 10000;
  std::string output;
};

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// xoshiro256** seeded through SplitMix64, with Box-Muller normals: the same numbers on every
// platform, unlike std::normal_distribution.
class Random {
 public:
  explicit Random(std::initializer_list<uint64_t> keys) {
    uint64_t state = 0x6a09e667f3bcc908ULL;
    for (uint64_t key : keys) {
      state ^= key;
      state = SplitMix64(state);
    }
    for (uint64_t& word : s_) word = SplitMix64(state);
  }

  uint64_t Next() {
    const uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }
  // In (0, 1): never 0, so the logarithm below is finite.
  double Uniform() { return (static_cast<double>(Next() >> 11) + 0.5) * 0x1.0p-53; }
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double radius = std::sqrt(-2.0 * std::log(Uniform()));
    const double angle = 2.0 * std::numbers::pi * Uniform();
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

// What every row of both splits shares: label names, weights, means, loadings, offsets.
struct Generator {
  int64_t dim;
  std::vector<std::string> names;
  std::vector<double> weights;
  std::vector<float> means;     // labels x kLatent
  std::vector<float> loadings;  // kLatent x dim: row j is latent factor j's image
  std::vector<float> offsets;   // dim
  std::string digest;           // of the options that determine the data

  explicit Generator(const Options& options) : dim(options.dim) {
    Random random({options.seed, 0x6d6f64656cULL});
    for (int label = 0; label < options.labels; ++label) {
      char name[32];
      std::snprintf(name, sizeof(name), "Fruit %03d", label);
      names.push_back(name);
      weights.push_back(400.0 + 600.0 * random.Uniform());
      for (int j = 0; j < kLatent; ++j) means.push_back(kSeparation * random.Normal());
    }
    for (int j = 0; j < kLatent; ++j) {
      const double scale = 1.0 / std::sqrt((1.0 + j / 8.0) * kLatent);
      for (int64_t i = 0; i < dim; ++i) loadings.push_back(scale * random.Normal());
    }
    for (int64_t i = 0; i < dim; ++i) {
      offsets.push_back(kOffsetMean + kOffsetSpread * random.Normal());
    }
    digest =
        fruits::Sha256Hex("classify_bench_data seed " + std::to_string(options.seed) + " dim " +
                          std::to_string(options.dim) + " labels " +
                          std::to_string(options.labels) + " latent " + std::to_string(kLatent));
  }

  // The first row of each label for `rows` rows in label order (labels + 1 entries): every
  // label gets its share of the weights, at least one row when rows allow.
  std::vector<int64_t> LabelStarts(int64_t rows) const {
    double total = 0;
    for (double weight : weights) total += weight;
    std::vector<int64_t> starts = {0};
    double cumulative = 0;
    for (double weight : weights) {
      cumulative += weight;
      starts.push_back(std::llround(rows * cumulative / total));
    }
    return starts;
  }

  // Row `row` of split `split` with label `label`, into `out` (dim floats).
  void Row(uint64_t seed, int split, int64_t row, int label, float* out) const {
    Random random({seed, static_cast<uint64_t>(split), static_cast<uint64_t>(row)});
    for (int64_t i = 0; i < dim; ++i) out[i] = offsets[i];
    for (int j = 0; j < kLatent; ++j) {
      const float z = means[label * kLatent + j] + static_cast<float>(random.Normal());
      const float* factor = &loadings[j * dim];
      for (int64_t i = 0; i < dim; ++i) out[i] += z * factor[i];
    }
    for (int64_t i = 0; i < dim; ++i) {
      out[i] = std::max(0.0f, out[i] + static_cast<float>(kIsotropicNoise * random.Normal()));
    }
  }
};

void WriteSplit(const Generator& generator, const Options& options, int split,
                const std::string& name, const std::string& image_folder, int64_t rows) {
  const fruits::pipeline::OutputLayout layout(options.output + "/" + name);
  std::ofstream raw(options.output + "/" + name + ".f32", std::ios::binary);
  std::ofstream label_lines(options.output + "/" + name + ".labels");
  const std::vector<int64_t> starts = generator.LabelStarts(rows);
  fruits::storage::LocalStore store;
  int label = 0;
  for (int64_t first = 0, part = 0; first < rows; first += options.part_rows, ++part) {
    const int64_t count = std::min(options.part_rows, rows - first);
    std::vector<std::string> paths, labels;
    std::vector<float> features(count * options.dim);
    for (int64_t r = 0; r < count; ++r) {
      const int64_t row = first + r;
      while (starts[label + 1] <= row) ++label;
      const std::string& label_name = generator.names[label];
      paths.push_back(image_folder + "/" + label_name + "/r_" + std::to_string(row) + "_100.jpg");
      labels.push_back(label_name);
      label_lines << label_name << '\n';
      generator.Row(options.seed, split, row, label, &features[r * options.dim]);
    }
    raw.write(reinterpret_cast<const char*>(features.data()),
              static_cast<std::streamsize>(features.size() * sizeof(float)));

    fruits::parquet::WriterOptions writer_options;
    writer_options.metadata = {
        {footer::kVersion, fruits::kVersion},
        {footer::kModel, "classify_bench_data"},
        {footer::kModelSha256, generator.digest},
        {footer::kShardId, std::to_string(part)},
        {footer::kShardInputs, std::to_string(count)},
        {footer::kShardDigest,
         fruits::Sha256Hex(generator.digest + " " + name + " " + std::to_string(first) + "+" +
                           std::to_string(count))},
        {footer::kShardErrors, "0"},
        {footer::kFeatureDim, std::to_string(options.dim)}};
    fruits::parquet::ParquetWriter writer(store.NewWritableFile(layout.FeaturesPart(part)),
                                          fruits::pipeline::FeaturesSchema(), writer_options);
    const fruits::parquet::ColumnValues columns[] = {
        fruits::parquet::ColumnValues::Strings(paths),
        fruits::parquet::ColumnValues::Strings(labels),
        fruits::parquet::ColumnValues::FloatRows(features, options.dim)};
    writer.Write(columns);
    writer.Close();
  }
  raw.close();
  label_lines.close();
  if (!raw || !label_lines) {
    throw fruits::Error("cannot write " + options.output + "/" + name + ".f32 or .labels");
  }
}

}  // namespace

int main(int argc, char** argv) {
  static_assert(std::endian::native == std::endian::little, "the .f32 files are little-endian");
  Options options;
  CLI::App app("Writes a synthetic Fruits-360-sized features dataset (train and test).");
  app.add_option("--rows", options.rows, "training rows")->check(CLI::PositiveNumber);
  app.add_option("--test-rows", options.test_rows, "test rows")->check(CLI::PositiveNumber);
  app.add_option("--dim", options.dim, "features per row")->check(CLI::PositiveNumber);
  app.add_option("--labels", options.labels, "labels")->check(CLI::Range(2, 100000));
  app.add_option("--seed", options.seed, "random seed: same seed, same data");
  app.add_option("--part-rows", options.part_rows, "rows per Parquet part")
      ->check(CLI::PositiveNumber);
  app.add_option("-o,--output", options.output, "output folder")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    std::error_code error;
    std::filesystem::create_directories(options.output, error);
    if (error) throw fruits::Error("cannot create '" + options.output + "': " + error.message());
    const Generator generator(options);
    WriteSplit(generator, options, 1, "train", "Training", options.rows);
    WriteSplit(generator, options, 2, "test", "Test", options.test_rows);
  } catch (const fruits::Error& e) {
    std::fprintf(stderr, "classify_bench_data: %s\n", e.what());
    return 1;
  }
  std::printf("wrote %lld training and %lld test rows of %lld features, %d labels, to %s\n",
              static_cast<long long>(options.rows), static_cast<long long>(options.test_rows),
              static_cast<long long>(options.dim), options.labels, options.output.c_str());
  return 0;
}
