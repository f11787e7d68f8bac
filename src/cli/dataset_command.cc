// `fruits dataset sample`: a synthetic Fruits-360-like image set for tests and demos.

#include <fmt/core.h>

#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/s3_flags.h"
#include "sample/sample_dataset.h"

namespace fruits::cli {

namespace {

struct SampleOptions {
  std::string output;
  sample::SampleDatasetOptions dataset;
  storage::S3Options s3;
};

std::string LabelList() {
  std::string text;
  for (const auto& label : sample::SampleFruitLabels()) text += (text.empty() ? "" : ", ") + label;
  return text;
}

void Sample(const SampleOptions& options) {
  std::unique_ptr<storage::StoreRegistry> store = OpenStores(options.s3);
  sample::SampleDatasetSummary summary =
      sample::WriteSampleDataset(*store, options.output, options.dataset);
  const sample::SampleDatasetOptions& d = options.dataset;
  fmt::print(
      "wrote {} images of {} labels to {}: Training/ {} and Test/ {} per label, "
      "test-multiple-fruits/ {} (seed {})\n",
      summary.images, summary.labels.size(), options.output, d.per_class, d.test_per_class,
      d.multi_fruit, d.seed);
}

}  // namespace

void AddDatasetCommand(CLI::App& app) {
  CLI::App* dataset = app.add_subcommand("dataset", "Make a synthetic image set");
  dataset->require_subcommand(1);

  auto options = std::make_shared<SampleOptions>();
  CLI::App* sample = dataset->add_subcommand(
      "sample",
      "Write a synthetic image set laid out like Fruits-360: DIR/Training/<Label>/<i>_100.jpg and "
      "DIR/Test/<Label>/<i>_100.jpg (100x100 JPEG, one drawn fruit on white, varied in pose, size "
      "and light), and DIR/test-multiple-fruits/ (640x480, several fruits). The same flags give "
      "the same bytes. FOR TESTS AND DEMOS: the fruits are drawn, not photographed");
  sample->add_option("-o,--output", options->output, "Folder to write (created if missing)")
      ->required();
  sample
      ->add_option("--classes", options->dataset.classes,
                   "Number of labels, taken in this order: " + LabelList())
      ->capture_default_str();
  sample->add_option("--per-class", options->dataset.per_class, "Training images per label")
      ->capture_default_str();
  sample->add_option("--test-per-class", options->dataset.test_per_class, "Test images per label")
      ->capture_default_str();
  sample
      ->add_option("--multi-fruit", options->dataset.multi_fruit,
                   "Images with several fruits, in test-multiple-fruits/")
      ->capture_default_str();
  sample
      ->add_option("--seed", options->dataset.seed,
                   "Random seed: the same seed and counts give the same files")
      ->capture_default_str();
  AddS3Flags(*sample, options->s3);
  sample->callback([options] { Sample(*options); });
}

}  // namespace fruits::cli
