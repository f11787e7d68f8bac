// Writes a small features table (path, label, features: list<float>) with the Parquet module:
// the shape `fruits extract` produces, and a starting point for code that writes our files.
//
//   write_features OUT.parquet [ROWS] [DIMENSION]

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "parquet/writer.h"
#include "storage/local_store.h"
#include "util/error.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: %s OUT.parquet [ROWS=1000] [DIMENSION=1280]\n", argv[0]);
    return 2;
  }
  const int64_t rows = argc > 2 ? std::atoll(argv[2]) : 1000;
  const int64_t dimension = argc > 3 ? std::atoll(argv[3]) : 1280;
  const char* labels[] = {"Apple Braeburn", "Banana", "Cherry 1", "Kiwi", "Mango"};

  std::vector<std::string> paths, label_column;
  std::vector<float> features;
  for (int64_t i = 0; i < rows; ++i) {
    std::string label = labels[i % 5];
    paths.push_back("Training/" + label + "/" + std::to_string(i) + "_100.jpg");
    label_column.push_back(label);
    for (int64_t j = 0; j < dimension; ++j) {
      // Smooth, label-dependent values in [0, 6], the range of MobileNetV2's ReLU6 features.
      features.push_back(3.0f + 3.0f * std::sin(0.01f * static_cast<float>(j * (i % 5 + 1) + i)));
    }
  }

  try {
    fruits::parquet::Schema schema({{"path", fruits::parquet::ColumnType::kString},
                                    {"label", fruits::parquet::ColumnType::kString},
                                    {"features", fruits::parquet::ColumnType::kFloatList}});
    fruits::parquet::WriterOptions options;
    options.metadata.push_back({"fruits.example", "write_features"});
    fruits::storage::LocalStore store;
    fruits::parquet::ParquetWriter writer(store.NewWritableFile(argv[1]), schema, options);
    const fruits::parquet::ColumnValues batch[] = {
        fruits::parquet::ColumnValues::Strings(paths),
        fruits::parquet::ColumnValues::Strings(label_column),
        fruits::parquet::ColumnValues::FloatRows(features, dimension)};
    writer.Write(batch);
    writer.Close();
  } catch (const fruits::Error& e) {
    std::fprintf(stderr, "write_features: %s\n", e.what());
    return 1;
  }
  std::printf("wrote %lld rows of %lld floats to %s\n", static_cast<long long>(rows),
              static_cast<long long>(dimension), argv[1]);
  return 0;
}
