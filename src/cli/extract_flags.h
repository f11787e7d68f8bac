// The flags `fruits extract` and `fruits run` share, and how they become ExtractOptions.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "pipeline/extractor.h"

namespace fruits::cli {

struct ExtractFlags {
  pipeline::ExtractOptions options;
  std::string label_from = "parent";
  std::string input_size;
  std::string resize = "bicubic";
  std::string preprocess = "mobilenet";
  double max_megapixels = 50;
  bool fail_on_error = false;
};

void AddExtractFlags(CLI::App& cmd, ExtractFlags& flags);
// Fills the options the flags describe in words. Throws UsageError for a bad --input-size.
void ResolveExtractFlags(ExtractFlags& flags);
// Runs the extraction (Ctrl-C handled) and prints its summary unless quiet. Throws ExitRequest
// when interrupted.
pipeline::ExtractSummary RunExtraction(storage::ObjectStore& store, ExtractFlags& flags);

}  // namespace fruits::cli
