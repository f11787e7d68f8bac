// The flags `fruits extract` and `fruits run` share, and how they become ExtractOptions.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "pipeline/extractor.h"
#include "storage/s3/s3_options.h"

namespace fruits::cli {

struct ExtractFlags {
  pipeline::ExtractOptions options;
  std::string label_from = "parent";
  std::string input_size;
  std::string resize = "bicubic";
  std::string preprocess = "mobilenet";
  double max_megapixels = 50;
  bool fail_on_error = false;
  storage::S3Options s3;
};

// "224" or "224x160" (width x height) into the input size; "" leaves it. Throws UsageError for
// anything else.
void ParseInputSize(const std::string& text, model::ModelOptions& options);
// --feature-layer and --backend, for every command that loads a model.
void AddBackendFlags(CLI::App& cmd, model::ModelOptions& options);
void AddExtractFlags(CLI::App& cmd, ExtractFlags& flags);
// Fills the options the flags describe in words. Throws UsageError for a bad --input-size.
void ResolveExtractFlags(ExtractFlags& flags);
// Before a job that extracts: resolves the flags, quiets the log (other ranks log only
// warnings) and lets Ctrl-C stop the run.
void StartExtraction(ExtractFlags& flags, dist::Communicator& comm);
// After it: on rank 0, prints the extraction's summary unless quiet. Throws ExitRequest when
// the run was interrupted.
void ReportExtraction(const pipeline::ExtractSummary& summary, const ExtractFlags& flags,
                      dist::Communicator& comm);

}  // namespace fruits::cli
