#include "cli/classifier_flags.h"

#include <algorithm>
#include <cstdlib>

#include "util/error.h"

namespace fruits::cli {

namespace {

// --holdout when --k auto is given without validation rows.
constexpr double kDefaultHoldout = 0.1;

int64_t PositiveInteger(const std::string& text, const std::string& flag) {
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 1) {
    throw UsageError(flag + " '" + text + "' is not a positive integer");
  }
  return value;
}

}  // namespace

std::string KFlagHelp(const std::string& default_text) {
  return "PCA components the classifier uses: a number, or auto (the smallest of --k-candidates "
         "within 0.2 points of the best validation accuracy) (default: " +
         default_text + ")";
}

void AddClassifierFlags(CLI::App& cmd, ClassifierFlags& flags) {
  pipeline::TrainOptions& o = flags.options;
  auto* validation = cmd.add_option(
      "--validation", o.validation,
      "Features folder of labelled validation images (another run's OUT/features): chooses k");
  cmd.add_option("--holdout", o.holdout,
                 "Hold out this fraction of the training rows (stratified by label, seeded) to "
                 "choose k (default 0.1 with --k auto and no --validation)")
      ->check(CLI::Range(0.0, 1.0))
      ->excludes(validation);
  cmd.add_option("--seed", o.seed, "Seed of the holdout")->capture_default_str();
  cmd.add_option("--k-candidates", flags.k_candidates, "The k that --k auto tries")
      ->capture_default_str();
  cmd.add_option("--l2", o.softmax.c,
                 "Inverse L2 strength, scikit-learn's C (LogisticRegression's default 1.0)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--max-iterations", o.softmax.max_iterations, "L-BFGS iterations at most")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--tolerance", o.softmax.tolerance,
                 "Stop when no gradient component of the objective / rows exceeds this "
                 "(scikit-learn's tol is this times the rows)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

void ResolveClassifierFlags(ClassifierFlags& flags, const std::string& default_k) {
  pipeline::KChoice& k = flags.options.k;
  const std::string text = flags.k.empty() ? default_k : flags.k;
  if (text == "auto") {
    k.automatic = true;
  } else if (!text.empty()) {
    k.k = PositiveInteger(text, "--k");
  }
  k.candidates.clear();
  for (size_t at = 0; at <= flags.k_candidates.size();) {
    size_t end = flags.k_candidates.find(',', at);
    if (end == std::string::npos) end = flags.k_candidates.size();
    k.candidates.push_back(
        PositiveInteger(flags.k_candidates.substr(at, end - at), "--k-candidates entry"));
    at = end + 1;
  }
  std::sort(k.candidates.begin(), k.candidates.end());
  k.candidates.erase(std::unique(k.candidates.begin(), k.candidates.end()), k.candidates.end());
  if (k.automatic && flags.options.validation.empty() && flags.options.holdout == 0) {
    flags.options.holdout = kDefaultHoldout;
  }
}

}  // namespace fruits::cli
