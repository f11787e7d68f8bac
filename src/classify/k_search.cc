#include "classify/k_search.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>

#include "util/error.h"
#include "util/log.h"
#include "util/seconds_since.h"

namespace fruits::classify {

namespace {

double Accuracy(const SoftmaxRegression& model, const LabelledMatrix& rows) {
  return static_cast<double>(model.CountCorrect(rows.View(model.dim()), rows.labels)) /
         static_cast<double>(rows.rows());
}

}  // namespace

size_t ChooseK(std::span<const KCandidate> curve) {
  double best = -1;
  for (const KCandidate& c : curve) best = std::max(best, c.validation_accuracy.value());
  for (size_t i = 0; i < curve.size(); ++i) {
    // In points, rounded to 1e-9 so that a tie at the threshold counts as within it.
    if (100 * curve[i].validation_accuracy.value() >= 100 * best - kKWithinPoints - 1e-9) return i;
  }
  return curve.size() - 1;
}

KSearchResult SearchK(const LabelledMatrix& train, const LabelledMatrix* validation,
                      std::span<const int64_t> candidates, int64_t num_labels,
                      const SoftmaxOptions& options) {
  const bool validated = validation != nullptr && validation->rows() > 0;
  if (candidates.empty() || !std::is_sorted(candidates.begin(), candidates.end()) ||
      candidates.front() < 1 || candidates.back() > train.stride ||
      (candidates.size() > 1 && !validated) ||
      (validation != nullptr && validation->stride != train.stride)) {
    throw InternalError("k search: bad candidates or validation rows");
  }
  std::vector<KCandidate> curve;
  std::vector<SoftmaxFit> fits;
  for (const int64_t k : candidates) {
    const auto start = std::chrono::steady_clock::now();
    SoftmaxFit fit = SoftmaxRegression::Fit(train.View(k), train.labels, num_labels, options,
                                            fits.empty() ? nullptr : &fits.back().model);
    KCandidate point{
        k, Accuracy(fit.model, train), std::nullopt, fit.objective, fit.iterations, fit.stop, 0};
    if (validated) point.validation_accuracy = Accuracy(fit.model, *validation);
    point.seconds = SecondsSince(start);
    LogInfo(fmt::format(
        "k = {}: training accuracy {:.2f}%{}, {} iterations ({}), {:.1f} s", k,
        100 * point.training_accuracy,
        validated ? fmt::format(", validation {:.2f}%", 100 * point.validation_accuracy.value())
                  : "",
        fit.iterations, StopName(fit.stop), point.seconds));
    curve.push_back(point);
    fits.push_back(std::move(fit));
  }
  size_t chosen = 0;
  std::string reason;
  if (candidates.size() > 1) {
    chosen = ChooseK(curve);
    const auto best =
        std::max_element(curve.begin(), curve.end(), [](const KCandidate& a, const KCandidate& b) {
          return a.validation_accuracy.value() < b.validation_accuracy.value();
        });
    const KCandidate& pick = curve[chosen];
    reason =
        best->k == pick.k
            ? fmt::format("k = {}, the best validation accuracy of {} candidates ({:.2f}%)", pick.k,
                          candidates.size(), 100 * pick.validation_accuracy.value())
            : fmt::format(
                  "k = {}, the smallest of {} candidates within {} points of the "
                  "best validation accuracy ({:.2f}%, against {:.2f}% at k = {})",
                  pick.k, candidates.size(), kKWithinPoints, 100 * pick.validation_accuracy.value(),
                  100 * best->validation_accuracy.value(), best->k);
  }
  return {std::move(fits[chosen]), std::move(curve), chosen, std::move(reason)};
}

}  // namespace fruits::classify
