// `fruits train` (features to a classifier folder) and `fruits evaluate` (a classifier on
// features: predictions and metrics).

#include <memory>

#include "cli/classifier_flags.h"
#include "cli/classify_summary.h"
#include "cli/commands.h"
#include "cli/s3_flags.h"
#include "pipeline/evaluate_step.h"
#include "pipeline/train_step.h"
#include "util/log.h"

namespace fruits::cli {

namespace {

struct TrainFlags {
  ClassifierFlags classifier;
  int threads = 0;
  bool quiet = false;
  storage::S3Options s3;
};

struct EvaluateFlags {
  pipeline::EvaluateOptions options;
  std::string classifier;
  bool quiet = false;
  storage::S3Options s3;
};

void Train(TrainFlags& flags, dist::Communicator& comm) {
  SetLogQuiet(flags.quiet || !comm.is_root());
  pipeline::TrainOptions& options = flags.classifier.options;
  ResolveClassifierFlags(flags.classifier, options.k.variance > 0 ? "" : "auto");
  options.softmax.threads = flags.threads;
  std::unique_ptr<storage::StoreRegistry> store = OpenStores(flags.s3);
  const pipeline::TrainResult result = pipeline::TrainClassifier(*store, comm, options);
  if (!flags.quiet && comm.is_root()) PrintTraining(*result.classifier, options.output);
}

void Evaluate(EvaluateFlags& flags, dist::Communicator& comm) {
  SetLogQuiet(flags.quiet || !comm.is_root());
  std::unique_ptr<storage::StoreRegistry> store = OpenStores(flags.s3);
  const classify::Classifier classifier = classify::Classifier::Load(*store, flags.classifier);
  const pipeline::EvaluateResult result =
      pipeline::EvaluateClassifier(*store, comm, classifier, flags.classifier, flags.options);
  if (!flags.quiet && comm.is_root()) PrintEvaluation(result.metrics, flags.options.output);
}

}  // namespace

void AddClassifyCommands(CLI::App& app, dist::Communicator& comm) {
  auto train = std::make_shared<TrainFlags>();
  CLI::App* train_cmd = app.add_subcommand(
      "train",
      "Train a fruit classifier on a run's features: an exact PCA, then a softmax regression "
      "(scikit-learn's LogisticRegression objective) on the PCA coordinates, k chosen by "
      "validation accuracy. Writes CLF/ (pca_model/, weights.npy, bias.npy, labels.txt, "
      "model.json)");
  pipeline::TrainOptions& o = train->classifier.options;
  train_cmd->add_option("--features", o.features, "Features folder of a run (OUT/features)")
      ->required();
  train_cmd->add_option("-o,--output", o.output, "Folder for the classifier")->required();
  auto* k = train_cmd->add_option("--k", train->classifier.k, KFlagHelp("auto"));
  train_cmd
      ->add_option("--variance", o.k.variance,
                   "Use the fewest components holding this fraction of the variance")
      ->check(CLI::Range(0.0, 1.0))
      ->excludes(k);
  train_cmd->add_flag("--whiten", o.whiten, "Scale every component to unit variance");
  AddClassifierFlags(*train_cmd, train->classifier);
  train_cmd->add_option("--threads", train->threads, "Threads for the softmax (0: all cores)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  train_cmd->add_flag("--resume", o.resume,
                      "Keep a classifier already in --output trained on the same features with "
                      "the same flags");
  train_cmd->add_flag("-q,--quiet", train->quiet, "Print nothing but warnings and errors");
  AddS3Flags(*train_cmd, train->s3);
  train_cmd->callback([train, &comm] { Train(*train, comm); });

  auto evaluate = std::make_shared<EvaluateFlags>();
  CLI::App* evaluate_cmd = app.add_subcommand(
      "evaluate",
      "Evaluate a classifier on labelled features: EVAL/predictions/part-*.parquet (path, "
      "label, predicted, probability, top_labels, top_probabilities) and EVAL/metrics.json "
      "(accuracy, top-k, log-loss, per-label precision/recall/F1, confusion matrix, "
      "calibration), with scikit-learn's definitions");
  evaluate_cmd->add_option("--classifier", evaluate->classifier, "Folder of a trained classifier")
      ->required();
  evaluate_cmd
      ->add_option("--features", evaluate->options.features,
                   "Features folder of the test images (OUT/features)")
      ->required();
  evaluate_cmd->add_option("-o,--output", evaluate->options.output, "Output folder")->required();
  evaluate_cmd
      ->add_option("--top", evaluate->options.top,
                   "Labels listed per image, and the k of top-k accuracy")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  evaluate_cmd->add_flag("--resume", evaluate->options.resume,
                         "Keep an evaluation already in --output of these features by this "
                         "classifier");
  evaluate_cmd->add_flag("-q,--quiet", evaluate->quiet, "Print nothing but warnings and errors");
  AddS3Flags(*evaluate_cmd, evaluate->s3);
  evaluate_cmd->callback([evaluate, &comm] { Evaluate(*evaluate, comm); });
}

}  // namespace fruits::cli
