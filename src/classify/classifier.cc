#include "classify/classifier.h"

#include <cmath>

#include "pca/npy.h"
#include "util/error.h"
#include "util/sha256.h"

namespace fruits::classify {

namespace {

constexpr char kFormat[] = "fruits.classifier";
constexpr int kFormatVersion = 1;

std::string ReadFile(storage::ObjectStore& store, const std::string& folder,
                     const std::string& name) {
  Result<std::string> bytes = store.Read(storage::JoinUri(folder, name));
  if (!bytes.ok()) {
    throw Error("the classifier in '" + folder + "' is incomplete: " + bytes.error());
  }
  return std::move(bytes.value());
}

std::vector<double> ReadArray(storage::ObjectStore& store, const std::string& folder,
                              const std::string& name, const std::vector<int64_t>& shape) {
  const std::string uri = storage::JoinUri(folder, name);
  pca::NpyArray array = pca::DecodeNpy(ReadFile(store, folder, name), uri);
  if (array.shape != shape) {
    throw Error("'" + uri + "' does not have the shape model.json gives: the classifier's files " +
                "do not belong together");
  }
  for (double v : array.values) {
    if (!std::isfinite(v)) throw Error("'" + uri + "' holds NaN or infinite values");
  }
  return std::move(array.values);
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t at = 0, end; at < text.size(); at = end + 1) {
    end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(at, end - at));
  }
  return lines;
}

}  // namespace

Classifier::Classifier(pca::PcaModel pca, SoftmaxRegression regression,
                       std::vector<std::string> labels, nlohmann::ordered_json description)
    : pca_(std::move(pca)),
      regression_(std::move(regression)),
      labels_(std::move(labels)),
      description_(std::move(description)) {
  if (regression_.dim() != pca_.d_out() ||
      static_cast<int64_t>(labels_.size()) != regression_.num_labels()) {
    throw InternalError("a classifier's PCA, weights and labels do not fit together");
  }
  Sha256 hash;
  hash.Update(pca_.Digest());
  auto add = [&hash](const std::vector<double>& values) {
    hash.Update({reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double)});
  };
  add(regression_.weights());
  add(regression_.bias());
  for (size_t i = 0; i < labels_.size(); ++i) {
    index_.emplace(labels_[i], static_cast<int64_t>(i));
    hash.Update(labels_[i] + '\n');
  }
  digest_ = hash.HexDigest();
}

int64_t Classifier::LabelIndex(const std::string& label) const {
  const auto found = index_.find(label);
  return found == index_.end() ? -1 : found->second;
}

void Classifier::Save(storage::ObjectStore& store, const std::string& folder) const {
  pca_.Save(store, storage::JoinUri(folder, "pca_model"), {});
  const int64_t labels = num_labels(), k = regression_.dim();
  store.Write(storage::JoinUri(folder, "weights.npy"),
              pca::EncodeNpy({{labels, k}, regression_.weights()}));
  store.Write(storage::JoinUri(folder, "bias.npy"), pca::EncodeNpy({{labels}, regression_.bias()}));
  std::string text;
  for (const std::string& label : labels_) text += label + "\n";
  store.Write(storage::JoinUri(folder, "labels.txt"), text);
  nlohmann::ordered_json json;
  json["format"] = kFormat;
  json["version"] = kFormatVersion;
  json["labels"] = labels;
  json["k"] = k;
  json["digest"] = digest_;
  for (const auto& [key, value] : description_.items()) json[key] = value;
  // Written last: a folder with model.json holds a complete classifier.
  store.Write(storage::JoinUri(folder, "model.json"), json.dump(2) + "\n");
}

Classifier Classifier::Load(storage::ObjectStore& store, const std::string& folder) {
  const std::string json_uri = storage::JoinUri(folder, "model.json");
  Result<std::string> json_bytes = store.Read(json_uri);
  if (!json_bytes.ok()) {
    throw UsageError("no classifier in '" + folder + "' (" + json_bytes.error() +
                     "): train one first with `fruits train`");
  }
  nlohmann::ordered_json description;
  int64_t labels = 0, k = 0;
  try {
    description = nlohmann::ordered_json::parse(json_bytes.value());
    if (description.value("format", "") != kFormat) {
      throw Error("'" + json_uri + "' is not a fruits classifier (format is not \"" + kFormat +
                  "\")");
    }
    if (description.at("version").get<int>() != kFormatVersion) {
      throw Error("'" + json_uri + "' is a classifier of format version " +
                  description.at("version").dump() + "; this build reads version " +
                  std::to_string(kFormatVersion) + ": retrain it or use a newer fruits");
    }
    labels = description.at("labels").get<int64_t>();
    k = description.at("k").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + json_uri + "' is not a valid classifier description: " + e.what());
  }
  pca::PcaModel pca = pca::PcaModel::Load(store, storage::JoinUri(folder, "pca_model"));
  if (labels < 2 || k != pca.d_out()) {
    throw Error("'" + json_uri + "' describes " + std::to_string(labels) + " labels on " +
                std::to_string(k) + " components, its PCA model keeps " +
                std::to_string(pca.d_out()) + ": the classifier's files do not belong together");
  }
  std::vector<std::string> names = SplitLines(ReadFile(store, folder, "labels.txt"));
  if (static_cast<int64_t>(names.size()) != labels) {
    throw Error("'" + storage::JoinUri(folder, "labels.txt") + "' lists " +
                std::to_string(names.size()) + " labels, model.json says " +
                std::to_string(labels));
  }
  SoftmaxRegression regression(labels, k, ReadArray(store, folder, "weights.npy", {labels, k}),
                               ReadArray(store, folder, "bias.npy", {labels}));
  for (const char* key : {"format", "version", "labels", "k", "digest"}) description.erase(key);
  Classifier classifier(std::move(pca), std::move(regression), std::move(names),
                        std::move(description));
  return classifier;
}

void Classifier::Classify(const float* features, int64_t n, double* probabilities) const {
  std::vector<float> projected(static_cast<size_t>(n * pca_.d_out()));
  pca_.Apply(features, n, projected.data());
  regression_.Probabilities({projected.data(), n, pca_.d_out(), pca_.d_out()}, probabilities);
}

}  // namespace fruits::classify
