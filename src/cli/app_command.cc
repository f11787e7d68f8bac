// `fruits export` (a model and a classifier as one ONNX file for apps) and `fruits classify`
// (images through that file, top labels printed).

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/app_model.h"
#include "app/exporter.h"
#include "app/image_classification.h"
#include "cli/commands.h"
#include "cli/s3_flags.h"
#include "model/backend_registry.h"
#include "util/log.h"

namespace fruits::cli {

namespace {

struct ExportFlags {
  app::ExportRequest request;
  std::string input = "uint8";
  bool quiet = false;
  storage::S3Options s3;
};

struct ClassifyFlags {
  std::string model;
  std::vector<std::string> inputs;
  app::ImageClassificationOptions options;
  app::AppModelOptions model_options;
  bool json = false;
  storage::S3Options s3;
};

void Export(ExportFlags& flags) {
  SetLogQuiet(flags.quiet);
  flags.request.input =
      flags.input == "float32" ? app::InputType::kFloat32 : app::InputType::kUint8;
  std::unique_ptr<storage::StoreRegistry> store = OpenStores(flags.s3);
  const app::ExportSummary summary = app::ExportFiles(*store, flags.request);
  if (flags.quiet) return;
  std::printf(
      "wrote %s (%.1f MB): %s RGB image [N, H, W, 3] -> probabilities of %ld labels, "
      "label_index, labels (ONNX opset 13)\n",
      flags.request.output.c_str(), static_cast<double>(summary.bytes) / 1e6, flags.input.c_str(),
      summary.labels);
  if (summary.accuracy) {
    std::printf("test accuracy %.4f recorded (from %s)\n", *summary.accuracy,
                summary.accuracy_source.c_str());
  } else {
    std::printf(
        "no evaluation of this classifier found: the file records no accuracy "
        "(--evaluation EVAL names one)\n");
  }
}

void PrintText(const app::ImageClassification& result, const std::vector<std::string>& labels) {
  if (!result.error.empty()) {
    std::printf("%s\terror: %s\n", result.uri.c_str(), result.error.c_str());
    return;
  }
  std::string line = result.uri;
  for (const app::LabelScore& score : result.top) {
    line +=
        "\t" + labels[static_cast<size_t>(score.index)] + " " + std::to_string(score.probability);
  }
  std::printf("%s\n", line.c_str());
}

void Classify(ClassifyFlags& flags) {
  std::unique_ptr<storage::StoreRegistry> store = OpenStores(flags.s3);
  const app::AppModel model = app::AppModel::Load(*store, flags.model, flags.model_options);
  const std::vector<std::string> uris = app::ListImages(*store, flags.inputs);
  const std::vector<std::string>& labels = model.info().labels;
  const int64_t failures =
      app::ClassifyImages(*store, model, uris, flags.options, [&](const auto& result) {
        if (!flags.json) {
          PrintText(result, labels);
          return;
        }
        nlohmann::ordered_json line = {{"path", result.uri}};
        if (result.error.empty()) {
          line["top"] = app::TopLabelsJson(result.top, labels);
        } else {
          line["error"] = result.error;
        }
        std::printf("%s\n", line.dump().c_str());
      });
  std::fflush(stdout);
  if (failures > 0) {
    throw ExitRequest(1, std::to_string(failures) + " of " + std::to_string(uris.size()) +
                             " images could not be classified (their lines say why)");
  }
}

}  // namespace

void AddAppCommands(CLI::App& app) {
  auto exporting = std::make_shared<ExportFlags>();
  CLI::App* export_cmd = app.add_subcommand(
      "export",
      "Write one ONNX file for apps (opset 13, standard operators): an RGB image already "
      "resized to the model's size -> the normalisation, the model cut at its feature layer, "
      "the classifier's PCA and softmax regression -> probabilities, label_index, labels; "
      "labels and preprocessing in its metadata (docs/app.md)");
  ExportFlags& e = *exporting;
  export_cmd->add_option("--model", e.request.model, "The ONNX model the features came from")
      ->required();
  export_cmd->add_option("--classifier", e.request.classifier, "Folder of a trained classifier")
      ->required();
  export_cmd->add_option("-o,--output", e.request.output, "The ONNX file to write")->required();
  export_cmd
      ->add_option("--input", e.input,
                   "Element type of the image input: uint8 (0..255) or float32 (0..255, for "
                   "runtimes that cannot feed bytes)")
      ->capture_default_str()
      ->check(CLI::IsMember({"uint8", "float32"}));
  export_cmd->add_option(
      "--evaluation", e.request.evaluation,
      "EVAL folder (or metrics.json) whose test accuracy the file records (default: "
      "CLF/metrics.json or the sibling evaluation/ folder, when they evaluated this classifier)");
  export_cmd->add_flag("-q,--quiet", e.quiet, "Print nothing but warnings and errors");
  AddS3Flags(*export_cmd, e.s3);
  export_cmd->callback([exporting] { Export(*exporting); });

  auto classify = std::make_shared<ClassifyFlags>();
  CLI::App* classify_cmd = app.add_subcommand(
      "classify",
      "Classify images with an app model from fruits export: each image decoded and resized as "
      "training did, run through the file, its top labels printed (one line per image, in "
      "order). Exits 1 when an image could not be classified; the others still are");
  ClassifyFlags& c = *classify;
  classify_cmd->add_option("--model", c.model, "App model written by fruits export")->required();
  classify_cmd
      ->add_option("inputs", c.inputs,
                   "Images, folders of images (read recursively) or s3:// prefixes")
      ->required();
  classify_cmd->add_option("--top", c.options.top, "Labels printed per image")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  classify_cmd->add_flag("--json", c.json,
                         "One JSON object per line: {\"path\", \"top\": [{\"label\", \"index\", "
                         "\"probability\"}]} or {\"path\", \"error\"}");
  classify_cmd->add_option("--batch-size", c.options.batch_size, "Images per model run")
      ->check(CLI::PositiveNumber);
  classify_cmd
      ->add_option("--threads", c.model_options.backend_options.cores,
                   "Cores for inference (0: all)")
      ->check(CLI::NonNegativeNumber);
  classify_cmd
      ->add_option("--backend", c.model_options.backend,
                   "Inference engine for the model's backbone")
      ->capture_default_str()
      ->check(CLI::IsMember(model::BackendNames()));
  AddS3Flags(*classify_cmd, c.s3);
  classify_cmd->callback([classify] { Classify(*classify); });
}

}  // namespace fruits::cli
