#include "cli/classify_summary.h"

#include <fmt/core.h>

#include <algorithm>
#include <vector>

namespace fruits::cli {

namespace {

std::string Percent(const nlohmann::ordered_json& fraction) {
  return fraction.is_number() ? fmt::format("{:.2f}%", 100 * fraction.get<double>()) : "n/a";
}

// The labels with the lowest F1 among those with test rows.
constexpr size_t kWeakestLabels = 5;

}  // namespace

void PrintTraining(const classify::Classifier& classifier, const std::string& folder) {
  const nlohmann::ordered_json& d = classifier.description();
  const nlohmann::ordered_json& training = d.at("training");
  fmt::print("classifier: {} labels on {} PCA components ({})\n", classifier.num_labels(),
             classifier.pca().d_out(), d.at("k_reason").get<std::string>());
  const nlohmann::ordered_json& curve = d.at("k_curve");
  if (curve.size() > 1) {
    fmt::print("  {:>6}  {:>10}  {:>8}  {:>10}  {:>7}\n", "k", "validation", "training",
               "iterations", "seconds");
    for (const auto& point : curve) {
      fmt::print("  {:>6}  {:>10}  {:>8}  {:>10}  {:>7.1f}\n", point.at("k").get<int64_t>(),
                 Percent(point.at("validation_accuracy")), Percent(point.at("training_accuracy")),
                 point.at("iterations").get<int>(), point.at("seconds").get<double>());
    }
  }
  fmt::print(
      "training accuracy {} on {} rows (L-BFGS: {} iterations, {}, largest gradient {:.1e})\n",
      Percent(training.at("accuracy")), training.at("rows").get<int64_t>(),
      training.at("iterations").get<int>(), training.at("stop").get<std::string>(),
      training.at("gradient_max").get<double>());
  const nlohmann::ordered_json& validation = d.at("validation");
  if (validation.is_object()) {
    fmt::print("validation accuracy {} on {} rows ({})\n", Percent(validation.at("accuracy")),
               validation.at("rows").get<int64_t>(), validation.at("source").get<std::string>());
  }
  fmt::print("files: {} (model.json, weights.npy, bias.npy, labels.txt, pca_model/)\n", folder);
}

void PrintEvaluation(const nlohmann::ordered_json& metrics, const std::string& folder) {
  fmt::print(
      "test accuracy {} on {} images (top-{} {}, log-loss {:.4f}, macro F1 {:.4f})\n",
      Percent(metrics.at("accuracy")), metrics.at("n").get<int64_t>(),
      metrics.at("top_k").get<int>(), Percent(metrics.at("top_k_accuracy")),
      metrics.at("log_loss").is_number() ? metrics.at("log_loss").get<double>() : 0.0,
      metrics.at("macro").at("f1").is_number() ? metrics.at("macro").at("f1").get<double>() : 0.0);
  std::vector<const nlohmann::ordered_json*> labels;
  for (const auto& label : metrics.at("per_label")) {
    if (label.at("support").get<int64_t>() > 0) labels.push_back(&label);
  }
  std::stable_sort(labels.begin(), labels.end(), [](const auto* a, const auto* b) {
    return a->at("f1").template get<double>() < b->at("f1").template get<double>();
  });
  if (labels.size() > kWeakestLabels) labels.resize(kWeakestLabels);
  std::string weakest;
  for (const auto* label : labels) {
    weakest += fmt::format("{}{} (F1 {:.3f}, {} images)", weakest.empty() ? "" : ", ",
                           label->at("label").get<std::string>(), label->at("f1").get<double>(),
                           label->at("support").get<int64_t>());
  }
  if (!weakest.empty()) fmt::print("weakest labels: {}\n", weakest);
  const int64_t unknown = metrics.at("unknown_labels").at("rows").get<int64_t>();
  if (unknown > 0) {
    fmt::print(
        "{} images have labels the classifier was not trained on (listed in "
        "metrics.json, counted in no figure)\n",
        unknown);
  }
  fmt::print("evaluation: {0}/metrics.json, {0}/predictions\n", folder);
}

}  // namespace fruits::cli
