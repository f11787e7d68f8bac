// Writes the Parquet and .npy seeds of fuzz/corpus with our own writers (fuzz/make_seeds.sh runs
// it): tiny Parquet files (each codec we write, nulls, lists, several pages and row groups) and
// .npy arrays. Seeds are small so that mutations reach deep code quickly.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "parquet/writer.h"
#include "pca/npy.h"
#include "storage/local_store.h"

namespace {

using namespace fruits;

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

void WriteParquet(const std::string& path, parquet::CompressionCodec codec, int rows,
                  int64_t page_bytes, int64_t row_group_bytes) {
  storage::LocalStore store;
  parquet::WriterOptions options{
      .compression = codec, .row_group_bytes = row_group_bytes, .page_bytes = page_bytes};
  options.metadata.push_back({"fruits", "seed"});
  parquet::ParquetWriter writer(store.NewWritableFile(path),
                                parquet::Schema({{"path", parquet::ColumnType::kString},
                                                 {"n", parquet::ColumnType::kInt64, true},
                                                 {"x", parquet::ColumnType::kFloat},
                                                 {"d", parquet::ColumnType::kDouble, true},
                                                 {"features", parquet::ColumnType::kFloatList}}),
                                options);
  std::vector<std::string> paths;
  std::vector<int64_t> numbers;
  std::vector<uint8_t> valid;
  std::vector<float> floats;
  std::vector<double> doubles;
  std::vector<float> lists;
  std::vector<int64_t> offsets{0};
  for (int i = 0; i < rows; ++i) {
    paths.push_back("Training/Apple/" + std::to_string(i) + ".jpg");
    numbers.push_back(i * 1000 - 7);
    valid.push_back(i % 3 != 0);
    floats.push_back(0.5f * static_cast<float>(i));
    doubles.push_back(-1.25 * i);
    for (int j = 0; j < i % 4; ++j) lists.push_back(static_cast<float>(i + j));
    offsets.push_back(static_cast<int64_t>(lists.size()));
  }
  const parquet::ColumnValues columns[] = {
      parquet::ColumnValues::Strings(paths), parquet::ColumnValues::Int64s(numbers, valid),
      parquet::ColumnValues::Floats(floats), parquet::ColumnValues::Doubles(doubles, valid),
      parquet::ColumnValues::FloatLists(lists, offsets)};
  writer.Write(columns);
  writer.Close();
}

void WriteNpy(const std::string& path, std::vector<int64_t> shape) {
  pca::NpyArray array{.shape = std::move(shape)};
  int64_t count = 1;
  for (int64_t d : array.shape) count *= d;
  for (int64_t i = 0; i < count; ++i) array.values.push_back(std::sin(static_cast<double>(i)));
  WriteFile(path, pca::EncodeNpy(array));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR (holding parquet/ and npy/)\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  WriteParquet(dir + "/parquet/snappy.parquet", parquet::CompressionCodec::kSnappy, 12, 64,
               1 << 20);
  WriteParquet(dir + "/parquet/zstd.parquet", parquet::CompressionCodec::kZstd, 5, 1 << 20,
               1 << 20);
  WriteParquet(dir + "/parquet/plain_groups.parquet", parquet::CompressionCodec::kUncompressed, 9,
               48, 96);
  WriteNpy(dir + "/npy/matrix.npy", {3, 4});
  WriteNpy(dir + "/npy/vector.npy", {5});
  WriteNpy(dir + "/npy/scalar.npy", {});
  WriteNpy(dir + "/npy/empty.npy", {0, 3});
  return 0;
}
