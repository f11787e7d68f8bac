// The classifier flags `fruits train` and `fruits run --test` share, and how they become
// TrainOptions.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "pipeline/train_step.h"

namespace fruits::cli {

struct ClassifierFlags {
  pipeline::TrainOptions options;
  std::string k;  // "auto" or a number; empty: the command's default
  std::string k_candidates = "8,16,32,64,128,256";
};

// --holdout, --validation, --seed, --k-candidates, --l2, --max-iterations, --tolerance. The
// caller adds --k (and --variance, --whiten) itself: `fruits run` shares them with its PCA.
void AddClassifierFlags(CLI::App& cmd, ClassifierFlags& flags);
// --k's help text.
std::string KFlagHelp(const std::string& default_text);
// Fills options.k from --k (or `default_k` when it was not given) and --k-candidates; with
// --k auto and no validation, holds out 10% of the training rows. Throws UsageError for a --k
// that is neither "auto" nor a positive integer, or unreadable candidates.
void ResolveClassifierFlags(ClassifierFlags& flags, const std::string& default_k);

}  // namespace fruits::cli
