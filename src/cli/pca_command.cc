// `fruits pca fit`, `fruits pca transform` and `fruits run` (extract, fit, transform in one).

#include <fmt/core.h>

#include <memory>

#include "cli/classifier_flags.h"
#include "cli/classify_summary.h"
#include "cli/commands.h"
#include "cli/extract_flags.h"
#include "cli/report_flags.h"
#include "cli/s3_flags.h"
#include "pipeline/output_layout.h"
#include "pipeline/pca_steps.h"
#include "pipeline/run_job.h"
#include "report/report.h"
#include "report/run_cost.h"
#include "util/log.h"

namespace fruits::cli {

namespace {

// --variance when neither --k nor --variance is given.
constexpr double kDefaultVariance = 0.95;

struct PcaFlags {
  pca::PcaOptions options;
  bool quiet = false;
};

struct FitFlags {
  PcaFlags pca;
  std::string features;
  std::string output;
  storage::S3Options s3;
};

struct TransformFlags {
  std::string features;
  std::string pca_model;
  std::string output;
  bool resume = false;
  bool quiet = false;
  storage::S3Options s3;
};

struct RunFlags {
  ExtractFlags extract;
  ClassifierFlags classifier;  // --k, --variance and --whiten go to its options
  std::string test;
  int top = 5;
  report::ReportOptions report;  // OUT/report.html at the end, unless no_report
  bool no_report = false;
};

void AddPcaFlags(CLI::App& cmd, PcaFlags& flags) {
  auto* k = cmd.add_option("--k", flags.options.k, "Components to keep (the notebook used 70)")
                ->check(CLI::PositiveNumber);
  cmd.add_option("--variance", flags.options.variance,
                 "Keep the fewest components holding this fraction of the variance (default "
                 "0.95 when --k is not given)")
      ->check(CLI::Range(0.0, 1.0))
      ->excludes(k);
  cmd.add_flag("--whiten", flags.options.whiten, "Scale every component to unit variance");
}

pca::PcaOptions Resolved(const PcaFlags& flags) {
  pca::PcaOptions options = flags.options;
  if (options.k == 0 && options.variance == 0) options.variance = kDefaultVariance;
  return options;
}

std::string PcaLine(const pca::PcaModel& model) {
  return fmt::format("PCA: {} -> {} components ({}), {:.1f}% of the variance kept, from {} rows",
                     model.d_in(), model.d_out(), model.k_reason(), 100 * model.VarianceKept(),
                     model.n());
}

void Fit(const FitFlags& flags, dist::Communicator& comm) {
  SetLogQuiet(flags.pca.quiet || !comm.is_root());
  std::unique_ptr<storage::StoreRegistry> store = OpenStores(flags.s3);
  pipeline::FitResult fit =
      pipeline::FitPca(*store, comm, flags.features, flags.output, Resolved(flags.pca), false);
  if (!flags.pca.quiet && comm.is_root()) {
    fmt::print("{}\nmodel: {} ({:.1f} s)\n", PcaLine(fit.model), flags.output,
               fit.seconds_moments + fit.seconds_fit);
  }
}

void Transform(const TransformFlags& flags, dist::Communicator& comm) {
  SetLogQuiet(flags.quiet || !comm.is_root());
  std::unique_ptr<storage::StoreRegistry> store = OpenStores(flags.s3);
  pca::PcaModel model = pca::PcaModel::Load(*store, flags.pca_model);
  const pipeline::OutputLayout layout(flags.output);
  pipeline::TransformResult result =
      pipeline::TransformPca(*store, comm, flags.features, model, layout.PcaFolder(), flags.resume);
  if (!flags.quiet && comm.is_root()) {
    fmt::print("projected {} rows to {} components: {} ({} parts, {:.1f} s)\n", result.rows,
               model.d_out(), layout.PcaFolder(), result.parts_written + result.parts_resumed,
               result.seconds);
  }
}

// The run's options from its flags: the PCA's k (or variance), and with --test the classifier's.
pipeline::RunOptions RunOptionsOf(RunFlags& flags) {
  pipeline::TrainOptions& train = flags.classifier.options;
  if (flags.classifier.k.empty() && train.k.variance == 0) train.k.variance = kDefaultVariance;
  ResolveClassifierFlags(flags.classifier, "");
  train.softmax.threads = flags.extract.options.threads;
  pipeline::RunOptions options{flags.extract.options, {}, std::nullopt};
  if (flags.test.empty()) {
    if (train.k.automatic) {
      throw UsageError(
          "--k auto chooses k by a classifier's validation accuracy: add --test DIR (the test "
          "images), or use fruits train on the run's features");
    }
    options.pca = {.k = train.k.k, .variance = train.k.variance, .whiten = train.whiten};
  } else {
    options.test = pipeline::TestOptions{flags.test, train, flags.top};
  }
  return options;
}

// OUT/report.html, on rank 0. A report that cannot be written is a warning: the run's outputs
// are complete, and `fruits report OUT` can make it again.
void WriteRunReport(storage::ObjectStore& store, RunFlags& flags) {
  report::ReportOptions& options = flags.report;
  options.run = flags.extract.options.output;
  try {
    const report::ReportResult result = report::WriteReport(store, options);
    if (!flags.extract.options.quiet) fmt::print("report: {}\n", result.output);
  } catch (const Error& e) {
    LogWarning(std::string("the report was not written: ") + e.what() + " (fruits report " +
               options.run + " makes it again)");
  }
}

void Run(RunFlags& flags, dist::Communicator& comm) {
  // The report's flags are checked before the run, not after an hour of extraction.
  if (!flags.no_report) report::CheckCostOptions(flags.report.cost);
  std::unique_ptr<storage::StoreRegistry> store = OpenStores(flags.extract.s3);
  StartExtraction(flags.extract, comm);
  const pipeline::ExtractOptions& options = flags.extract.options;
  const pipeline::RunSummary run = pipeline::RunJob(*store, comm, RunOptionsOf(flags));
  ReportExtraction(run.extract, flags.extract, comm);
  if (run.test_extract) ReportExtraction(*run.test_extract, flags.extract, comm);
  if (!options.quiet && comm.is_root()) {
    const pipeline::FitResult& fit = *run.fit;
    if (run.train)
      PrintTraining(*run.train->classifier,
                    pipeline::OutputLayout(options.output).ClassifierFolder());
    fmt::print("{}\n", PcaLine(fit.model));
    fmt::print("seconds: extract {:.1f}, PCA moments {:.1f}, fit {:.1f}, transform {:.1f}\n",
               run.extract.seconds, fit.seconds_moments + fit.seconds_reduce, fit.seconds_fit,
               run.transform->seconds);
    fmt::print("outputs: {0}/features, {0}/pca, {0}/pca_model, {0}/errors, {0}/manifest.json\n",
               options.output);
    if (run.evaluate) {
      PrintEvaluation(run.evaluate->metrics,
                      pipeline::OutputLayout(options.output).EvaluationFolder());
    }
  }
  if (!flags.no_report && comm.is_root()) WriteRunReport(*store, flags);
  const int64_t failed = run.extract.failed + (run.test_extract ? run.test_extract->failed : 0);
  if (flags.extract.fail_on_error && failed > 0) {
    throw ExitRequest(1, std::to_string(failed) + " images failed (--fail-on-error)");
  }
}

}  // namespace

void AddPcaCommand(CLI::App& app, dist::Communicator& comm) {
  CLI::App* pca = app.add_subcommand("pca", "Fit a PCA on a run's features, or project with one");
  pca->require_subcommand(1);

  auto fit = std::make_shared<FitFlags>();
  CLI::App* fit_cmd = pca->add_subcommand(
      "fit",
      "Fit an exact PCA on the features parts of a run and save it (mean, components, explained "
      "variance as .npy files numpy reads, and model.json)");
  fit_cmd->add_option("--features", fit->features, "Features folder of a run (OUT/features)")
      ->required();
  fit_cmd->add_option("-o,--output", fit->output, "Folder for the PCA model")->required();
  AddPcaFlags(*fit_cmd, fit->pca);
  AddS3Flags(*fit_cmd, fit->s3);
  fit_cmd->add_flag("-q,--quiet", fit->pca.quiet, "Print nothing but warnings and errors");
  fit_cmd->callback([fit, &comm] { Fit(*fit, comm); });

  auto transform = std::make_shared<TransformFlags>();
  CLI::App* transform_cmd = pca->add_subcommand(
      "transform",
      "Project features with a fitted PCA (centred, as scikit-learn): OUTPUT/pca/part-*.parquet "
      "(path, label, pca), one part per features part");
  transform_cmd->add_option("--features", transform->features, "Features folder to project")
      ->required();
  transform_cmd->add_option("--pca-model", transform->pca_model, "Folder of a fitted PCA model")
      ->required();
  transform_cmd->add_option("-o,--output", transform->output, "Output folder")->required();
  transform_cmd->add_flag("--resume", transform->resume,
                          "Keep parts already projected with this model");
  transform_cmd->add_flag("-q,--quiet", transform->quiet, "Print nothing but warnings");
  AddS3Flags(*transform_cmd, transform->s3);
  transform_cmd->callback([transform, &comm] { Transform(*transform, comm); });
}

void AddRunCommand(CLI::App& app, const std::string& command_line, dist::Communicator& comm) {
  auto flags = std::make_shared<RunFlags>();
  flags->extract.options.command_line = command_line;
  CLI::App* cmd = app.add_subcommand(
      "run",
      "The whole job: extract features, fit an exact PCA on them, project them; with --test, "
      "also extract the test images, train a classifier and evaluate it. Writes OUT/features, "
      "OUT/errors, OUT/pca_model, OUT/pca and OUT/manifest.json (with --test also OUT/test, "
      "OUT/classifier, OUT/evaluation); --resume works across every step");
  AddExtractFlags(*cmd, flags->extract);
  pipeline::TrainOptions& train = flags->classifier.options;
  auto* k = cmd->add_option("--k", flags->classifier.k,
                            "Components to keep (the notebook used 70); with --test also auto: "
                            "chosen by the classifier's validation accuracy");
  cmd->add_option("--variance", train.k.variance,
                  "Keep the fewest components holding this fraction of the variance (default "
                  "0.95 when --k is not given)")
      ->check(CLI::Range(0.0, 1.0))
      ->excludes(k);
  cmd->add_flag("--whiten", train.whiten, "Scale every component to unit variance");
  cmd->add_option("--test", flags->test,
                  "Test images (a folder or s3:// prefix, one folder per label): also extract "
                  "them to OUT/test, train a classifier (OUT/classifier) and evaluate it "
                  "(OUT/evaluation)");
  cmd->add_option("--top", flags->top, "With --test: labels listed per test image, and top-k")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  AddClassifierFlags(*cmd, flags->classifier);
  cmd->add_flag("--no-report", flags->no_report, "Do not write OUT/report.html");
  AddReportFlags(*cmd, flags->report);
  cmd->callback([flags, &comm] { Run(*flags, comm); });
}

}  // namespace fruits::cli
