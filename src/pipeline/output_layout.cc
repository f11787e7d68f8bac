#include "pipeline/output_layout.h"

#include <cstdio>

namespace fruits::pipeline {

namespace {

std::string PartName(int64_t shard) {
  char name[32];
  std::snprintf(name, sizeof(name), "/part-%05lld.parquet", static_cast<long long>(shard));
  return name;
}

}  // namespace

OutputLayout::OutputLayout(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string OutputLayout::FeaturesPart(int64_t shard) const {
  return FeaturesFolder() + PartName(shard);
}

std::string OutputLayout::ErrorsPart(int64_t shard) const {
  return ErrorsFolder() + PartName(shard);
}

}  // namespace fruits::pipeline
