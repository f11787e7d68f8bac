// Where a run's outputs go under its output folder (the contract users code against, DESIGN.md).
//
//   OUT/features/part-NNNNN.parquet   path, label, features: list<float>     one per shard
//   OUT/errors/part-NNNNN.parquet     path, stage, reason                     one per shard
//   OUT/pca_model/                    mean, components, explained variance (.npy) + model.json
//   OUT/pca/part-NNNNN.parquet        path, label, pca: list<float>              one per shard
//   OUT/manifest.json                 what ran, on what, with what result
// and with a test set (`fruits run --test`):
//   OUT/test/{features,errors,pca}/   the test images' parts, as the training images' above
//   OUT/classifier/                   the classifier trained on OUT/features (`fruits train`)
//   OUT/evaluation/                   its evaluation on OUT/test/features (`fruits evaluate`)
// Parts are named by shard id, never by worker or process, so the same input gives the same
// files however the work was spread.
#pragma once

#include <cstdint>
#include <string>

namespace fruits::pipeline {

class OutputLayout {
 public:
  explicit OutputLayout(std::string root);

  const std::string& root() const { return root_; }
  std::string FeaturesFolder() const { return root_ + "/features"; }
  std::string ErrorsFolder() const { return root_ + "/errors"; }
  std::string FeaturesPart(int64_t shard) const;
  std::string ErrorsPart(int64_t shard) const;
  std::string PcaModelFolder() const { return root_ + "/pca_model"; }
  std::string PcaFolder() const { return root_ + "/pca"; }
  std::string Manifest() const { return root_ + "/manifest.json"; }
  // Where the test images' outputs go: a layout of its own under this one.
  std::string TestRoot() const { return root_ + "/test"; }
  std::string ClassifierFolder() const { return root_ + "/classifier"; }
  std::string EvaluationFolder() const { return root_ + "/evaluation"; }

 private:
  std::string root_;
};

}  // namespace fruits::pipeline
