// A trained classifier as one folder (CLF/): everything that turns a feature vector into label
// probabilities, readable without fruits.
//
//   CLF/pca_model/      the PCA (pca/pca_model.h's files), k components
//   CLF/weights.npy     (labels, k) float64: logits = pca @ weights.T + bias
//   CLF/bias.npy        (labels,) float64
//   CLF/labels.txt      one label per line, in index order (sorted, as scikit-learn's classes_)
//   CLF/model.json      format "fruits.classifier", version, labels, k, and the description the
//                       trainer gave (how k was chosen, the k curve, accuracies, digests)
// Save() writes model.json last, each file atomically: a folder holding model.json holds a whole
// classifier. Immutable once built: Classify() is thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "classify/softmax_regression.h"
#include "pca/pca_model.h"
#include "storage/object_store.h"

namespace fruits::classify {

class Classifier {
 public:
  // REQUIRES: regression.dim() == pca.d_out(), labels.size() == regression.num_labels()
  // (checked: InternalError). `description` becomes model.json's fields (after format, version).
  Classifier(pca::PcaModel pca, SoftmaxRegression regression, std::vector<std::string> labels,
             nlohmann::ordered_json description);

  // Throws UsageError when the folder holds no model.json, Error when its files disagree.
  static Classifier Load(storage::ObjectStore& store, const std::string& folder);
  void Save(storage::ObjectStore& store, const std::string& folder) const;

  const pca::PcaModel& pca() const { return pca_; }
  const SoftmaxRegression& regression() const { return regression_; }
  const std::vector<std::string>& labels() const { return labels_; }
  const nlohmann::ordered_json& description() const { return description_; }
  int64_t num_labels() const { return static_cast<int64_t>(labels_.size()); }
  // The index of `label`, or -1 when the classifier was not trained on it.
  int64_t LabelIndex(const std::string& label) const;
  // SHA-256 of the PCA model, weights, bias and labels: names the classifier in outputs it makes.
  const std::string& digest() const { return digest_; }

  // probabilities: n x num_labels(), row-major, for n rows of pca().d_in() features.
  void Classify(const float* features, int64_t n, double* probabilities) const;

 private:
  pca::PcaModel pca_;
  SoftmaxRegression regression_;
  std::vector<std::string> labels_;
  nlohmann::ordered_json description_;
  std::unordered_map<std::string, int64_t> index_;
  std::string digest_;
};

}  // namespace fruits::classify
