// What `fruits train`, `fruits evaluate` and `fruits run --test` print about a classifier and
// its evaluation.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "classify/classifier.h"

namespace fruits::cli {

// Labels, k and why, accuracies, the k curve (with --k auto), the optimiser's end.
void PrintTraining(const classify::Classifier& classifier, const std::string& folder);
// Accuracy, top-k, log-loss, macro F1, the five weakest labels, labels the classifier lacks.
void PrintEvaluation(const nlohmann::ordered_json& metrics, const std::string& folder);

}  // namespace fruits::cli
