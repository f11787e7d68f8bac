// `fruits extract`: a folder (or list) of images to OUT/features/part-*.parquet.

#include <fmt/core.h>

#include <memory>

#include "cli/commands.h"
#include "cli/extract_flags.h"
#include "cli/s3_flags.h"
#include "pipeline/run_job.h"

namespace fruits::cli {

namespace {

void Extract(ExtractFlags& flags, dist::Communicator& comm) {
  std::unique_ptr<storage::StoreRegistry> store = OpenStores(flags.s3);
  StartExtraction(flags, comm);
  const pipeline::ExtractOptions& options = flags.options;
  const pipeline::ExtractSummary summary = pipeline::ExtractJob(*store, comm, options);
  ReportExtraction(summary, flags, comm);
  if (!options.quiet && comm.is_root()) {
    fmt::print(
        "features: {}/features ({} floats per image, {} shard{}); manifest: "
        "{}/manifest.json\n",
        options.output, summary.feature_layer.dimension, summary.shards,
        summary.shards == 1 ? "" : "s", options.output);
  }
  if (flags.fail_on_error && summary.failed > 0) {
    throw ExitRequest(1, std::to_string(summary.failed) + " images failed (--fail-on-error)");
  }
}

}  // namespace

void AddExtractCommand(CLI::App& app, const std::string& command_line, dist::Communicator& comm) {
  auto flags = std::make_shared<ExtractFlags>();
  flags->options.command_line = command_line;
  CLI::App* cmd = app.add_subcommand(
      "extract",
      "Turn a folder of images (Fruits-360 layout: <Label>/<image>.jpg) into feature vectors: "
      "OUT/features/part-*.parquet (path, label, features), OUT/errors/part-*.parquet and "
      "OUT/manifest.json");
  AddExtractFlags(*cmd, *flags);
  cmd->callback([flags, &comm] { Extract(*flags, comm); });
}

}  // namespace fruits::cli
