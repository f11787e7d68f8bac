// `fruits report OUT`: the run's report page, OUT/report.html (or -o).

#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "cli/report_flags.h"
#include "cli/s3_flags.h"
#include "report/report.h"
#include "report/run_cost.h"
#include "util/log.h"

namespace fruits::cli {

namespace {

struct ReportCommandFlags {
  report::ReportOptions report;
  bool quiet = false;
  storage::S3Options s3;
};

void Report(ReportCommandFlags& flags) {
  SetLogQuiet(flags.quiet);
  report::CheckCostOptions(flags.report.cost);
  std::unique_ptr<storage::StoreRegistry> store = OpenStores(flags.s3);
  const report::ReportResult result = report::WriteReport(*store, flags.report);
  if (!flags.quiet) {
    fmt::print("report: {} ({:.1f} KiB, {:.2f} s)\n", result.output, result.bytes / 1024.0,
               result.seconds);
  }
}

}  // namespace

void AddReportCommand(CLI::App& app) {
  auto flags = std::make_shared<ReportCommandFlags>();
  report::ReportOptions& options = flags->report;
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Write a run's report: one self-contained HTML page (no network, opens offline) with the "
      "run, its failures, its cost, the PCA and, when evaluated, the classifier");
  cmd->add_option("run", options.run, "Output folder of fruits run or fruits extract (or s3://)")
      ->required();
  cmd->add_option("--evaluation", options.evaluation,
                  "Evaluation folder (fruits evaluate) to report instead of OUT/evaluation");
  cmd->add_option("-o,--output", options.output,
                  "Where to write the page (default OUT/report.html)");
  AddReportFlags(*cmd, flags->report);
  AddS3Flags(*cmd, flags->s3);
  cmd->add_flag("-q,--quiet", flags->quiet, "Print nothing but warnings and errors");
  cmd->callback([flags] { Report(*flags); });
}

}  // namespace fruits::cli
