// `fruits model init` and `fruits model inspect`: making a test model and looking into any model.

#include <fmt/core.h>

#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/extract_flags.h"
#include "cli/s3_flags.h"
#include "model/mobilenet_v2.h"
#include "model/model_loader.h"
#include "model/onnx_model.h"
#include "model/quantization/qdq_rewrite.h"
#include "model/tensor.h"
#include "util/error.h"

namespace fruits::cli {

namespace {

struct InitOptions {
  std::string arch = "mobilenet_v2";
  uint64_t seed = 0;
  int64_t image_size = 224;
  std::string output;
  storage::S3Options s3;
};

struct InspectModelOptions {
  std::string path;
  model::ModelOptions model;
  storage::S3Options s3;
};

std::string Join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

void Init(const InitOptions& options) {
  model::MobileNetV2Options mobilenet;
  mobilenet.seed = options.seed;
  mobilenet.image_size = options.image_size;
  std::string bytes = model::BuildMobileNetV2(mobilenet);
  std::unique_ptr<storage::StoreRegistry> store = OpenStores(options.s3);
  store->Write(options.output, bytes);
  fmt::print(
      "wrote {}: {} with random weights (seed {}), input {}x{}, {:.1f} MB\n"
      "for tests and demos only: its features carry no meaning\n",
      options.output, options.arch, options.seed, options.image_size, options.image_size,
      bytes.size() / 1e6);
}

void InspectModel(const InspectModelOptions& options) {
  std::unique_ptr<storage::StoreRegistry> store = OpenStores(options.s3);
  model::OnnxModel onnx = model::OnnxModel::Read(*store, options.path);
  fmt::print("model          {} (opset {})\n", onnx.source(), onnx.opset());
  if (std::string purpose = onnx.Metadata("fruits.purpose"); !purpose.empty()) {
    fmt::print("note           {}\n", purpose);
  }
  if (model::quantization::IsQuantized(onnx)) {
    const std::string how = onnx.Metadata("fruits.quantization");
    fmt::print("quantized      int8 QDQ{}\n", how.empty() ? "" : ": " + how);
  }
  fmt::print("input          '{}' {}\n", onnx.input().name, onnx.input().ToString());
  for (const auto& output : onnx.OutputNames()) {
    auto shape = onnx.TensorShape(output);
    fmt::print("output         '{}' {}\n", output, shape ? model::ShapeToString(*shape) : "?");
  }
  fmt::print("operators      {}\n", Join(onnx.OperatorTypes()));
  // The layers --feature-layer could name instead, when the head has hidden layers.
  const std::vector<model::FeatureLayer> candidates = model::CandidateFeatureLayers(onnx);
  if (options.model.feature_layer.empty() && candidates.size() > 1) {
    fmt::print("candidates     (--feature-layer NAME)\n");
    for (const model::FeatureLayer& candidate : candidates) {
      fmt::print("                 '{}' ({} floats per image): {}\n", candidate.tensor,
                 candidate.dimension, candidate.reason);
    }
  }
  model::LoadedModel loaded = model::LoadModel(std::move(onnx), options.model);
  fmt::print("feature layer  '{}' ({} floats per image): {}\n", loaded.feature_layer.tensor,
             loaded.feature_layer.dimension, loaded.feature_layer.reason);
  fmt::print("backend        {}: runs it{}\n", loaded.backend->name(),
             loaded.rewrites.empty() ? "" : " after rewriting the graph:");
  for (const auto& rewrite : loaded.rewrites) fmt::print("                 {}\n", rewrite);
}

}  // namespace

void AddModelCommand(CLI::App& app) {
  CLI::App* model = app.add_subcommand(
      "model", "Make a test model, look into an ONNX model, or quantize one to int8");
  model->require_subcommand(1);

  auto init = std::make_shared<InitOptions>();
  CLI::App* init_cmd = model->add_subcommand(
      "init",
      "Write a standard CNN with seeded random weights as ONNX. FOR TESTS AND DEMOS ONLY: the "
      "weights are not trained, so its features carry no meaning; bring a pretrained model "
      "for real work");
  init_cmd->add_option("--arch", init->arch, "Architecture")
      ->capture_default_str()
      ->check(CLI::IsMember({"mobilenet_v2"}));
  init_cmd->add_option("--seed", init->seed, "Random seed: the same seed gives the same weights")
      ->capture_default_str();
  init_cmd->add_option("--image-size", init->image_size, "Input height and width")
      ->capture_default_str()
      ->check(CLI::Range(32, 1024));
  init_cmd->add_option("-o,--output", init->output, "ONNX file to write")->required();
  AddS3Flags(*init_cmd, init->s3);
  init_cmd->callback([init] { Init(*init); });

  auto inspect = std::make_shared<InspectModelOptions>();
  CLI::App* inspect_cmd = model->add_subcommand(
      "inspect",
      "Show a model's input and layout, operators, the feature layer fruits picks and its size, "
      "and whether the backend runs it (exit status 1 when it cannot)");
  inspect_cmd->add_option("model", inspect->path, "ONNX file")->required();
  AddBackendFlags(*inspect_cmd, inspect->model);
  AddS3Flags(*inspect_cmd, inspect->s3);
  inspect_cmd->callback([inspect] { InspectModel(*inspect); });

  AddModelQuantizeCommand(*model);
}

}  // namespace fruits::cli
