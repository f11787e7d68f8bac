// `fruits model quantize`: a float model to a QDQ int8 file calibrated on the user's images, and
// the report of what it costs in accuracy.

#include <fmt/core.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "cli/extract_flags.h"
#include "cli/s3_flags.h"
#include "pipeline/manifest.h"
#include "pipeline/quantize_job.h"
#include "util/log.h"

namespace fruits::cli {

namespace {

struct QuantizeFlags {
  pipeline::QuantizeOptions options;
  std::string calibration;
  std::string calibration_list;
  std::string method = "minmax";
  std::string label_from = "parent";
  std::string input_size;
  std::string resize = "bicubic";
  std::string preprocess = "mobilenet";
  std::string report;  // the report as JSON, when given
  bool quiet = false;
  storage::S3Options s3;
};

void ResolveFlags(QuantizeFlags& flags) {
  pipeline::QuantizeOptions& options = flags.options;
  if (flags.calibration.empty() == flags.calibration_list.empty()) {
    throw UsageError(
        "give the calibration images with either --calibration FOLDER or --calibration-list "
        "FILE");
  }
  options.from_list = !flags.calibration_list.empty();
  options.images = options.from_list ? flags.calibration_list : flags.calibration;
  options.catalog.label_from = flags.label_from == "none" ? pipeline::LabelSource::kNone
                                                          : pipeline::LabelSource::kParentFolder;
  options.method = model::quantization::ParseCalibrationMethod(flags.method);
  ParseInputSize(flags.input_size, options.model_options);
  options.resize = image::ParseResizeFilter(flags.resize);
  options.normalization = image::ParseNormalization(flags.preprocess);
}

// "Conv 52, Add 10, GlobalAveragePool 1": the quantized nodes by operator, most first.
std::string CountByOperator(const std::vector<std::string>& nodes) {
  std::map<std::string, int> counts;
  for (const std::string& node : nodes) ++counts[node.substr(0, node.find(' '))];
  std::vector<std::pair<std::string, int>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string text;
  for (const auto& [type, count] : sorted) {
    text += (text.empty() ? "" : ", ") + type + " " + std::to_string(count);
  }
  return text;
}

std::string Accuracy(double accuracy) {
  return accuracy < 0 ? "-" : fmt::format("{:.1f}%", 100 * accuracy);
}

void PrintReport(const pipeline::QuantizeReport& r) {
  fmt::print("wrote {}: int8 QDQ, {} nodes quantized, {} stay float, in {:.1f} s\n", r.output,
             r.quantized_nodes.size(), r.float_nodes.size(), r.seconds);
  fmt::print("calibration    {} images, {} ranges{}\n", r.calibration_images, r.method,
             r.unreadable_images > 0
                 ? fmt::format(" ({} unreadable image{} skipped)", r.unreadable_images,
                               r.unreadable_images == 1 ? "" : "s")
                 : "");
  fmt::print("quantized      {}\n", CountByOperator(r.quantized_nodes));
  for (size_t i = 0; i < r.float_nodes.size(); ++i) {
    fmt::print("{}{}\n", i == 0 ? "stays float    " : "               ", r.float_nodes[i]);
  }
  fmt::print("size           {:.1f} MB float, {:.1f} MB int8 ({:.2f}x)\n", r.float_bytes / 1e6,
             r.int8_bytes / 1e6,
             r.float_bytes > 0 ? static_cast<double>(r.int8_bytes) / r.float_bytes : 0.0);
  if (r.holdout_images == 0) {
    fmt::print("held out       no image left after calibration: nothing measured\n");
    return;
  }
  fmt::print(
      "held out       {} images: cosine of int8 and float features median {:.4f}, 1st "
      "percentile {:.4f}, min {:.4f}\n",
      r.holdout_images, r.cosine_median, r.cosine_p1, r.cosine_min);
  if (r.float_accuracy >= 0) {
    fmt::print(
        "accuracy       nearest centroid (centroids of the calibration images): float {}, int8 "
        "{}\n",
        Accuracy(r.float_accuracy), Accuracy(r.int8_accuracy));
  }
}

nlohmann::ordered_json ReportJson(const pipeline::QuantizeReport& r) {
  using pipeline::RoundTo;
  nlohmann::ordered_json accuracy = nullptr;
  if (r.float_accuracy >= 0) {
    accuracy = {{"float", RoundTo(r.float_accuracy, 4)}, {"int8", RoundTo(r.int8_accuracy, 4)}};
  }
  return {{"output", r.output},
          {"method", r.method},
          {"calibration_images", r.calibration_images},
          {"holdout_images", r.holdout_images},
          {"unreadable_images", r.unreadable_images},
          {"quantized_nodes", r.quantized_nodes},
          {"float_nodes", r.float_nodes},
          {"float_bytes", r.float_bytes},
          {"int8_bytes", r.int8_bytes},
          {"cosine", {{"median", r.cosine_median}, {"p1", r.cosine_p1}, {"min", r.cosine_min}}},
          {"nearest_centroid_accuracy", accuracy},
          {"seconds", RoundTo(r.seconds, 3)}};
}

void Quantize(QuantizeFlags& flags) {
  ResolveFlags(flags);
  SetLogQuiet(flags.quiet);
  std::unique_ptr<storage::StoreRegistry> store = OpenStores(flags.s3);
  const pipeline::QuantizeReport report = pipeline::QuantizeModel(*store, flags.options);
  if (!flags.report.empty()) store->Write(flags.report, ReportJson(report).dump(2) + "\n");
  if (!flags.quiet) PrintReport(report);
}

}  // namespace

void AddModelQuantizeCommand(CLI::App& model) {
  auto flags = std::make_shared<QuantizeFlags>();
  pipeline::QuantizeOptions& options = flags->options;
  CLI::App* cmd = model.add_subcommand(
      "quantize",
      "Make a float model int8: a standard QDQ ONNX file (int8 weights per output channel, "
      "activation ranges calibrated on your images, preprocessed as extract does), and measure "
      "it against the float model on held-out images (cosine of the features, nearest-centroid "
      "accuracy)");
  cmd->add_option("--model", options.model, "Float ONNX model")->required();
  auto* folder = cmd->add_option("--calibration", flags->calibration,
                                 "Folder (or s3:// prefix) of images like those the model will "
                                 "see, read recursively");
  cmd->add_option("--calibration-list", flags->calibration_list,
                  "File listing the calibration images, one path per line")
      ->excludes(folder);
  cmd->add_option("-o,--output", options.output, "QDQ ONNX file to write")->required();
  cmd->add_option("--images", options.calibration_images,
                  "Images that calibrate (the first of a fixed shuffle of the input)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--holdout", options.holdout_images,
                  "Images after those that measure int8 against float (0: none)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--method", flags->method,
                  "Activation ranges: minmax (the extremes seen), percentile (drops the 0.001% "
                  "most extreme values at each end), entropy (the clipping with the least "
                  "information lost, as TensorRT)")
      ->capture_default_str();
  cmd->add_option("--label-from", flags->label_from,
                  "Where labels come from (for the nearest-centroid accuracy)")
      ->capture_default_str()
      ->check(CLI::IsMember({"parent", "none"}));
  cmd->add_option("--report", flags->report, "Also write the report as JSON to this file");
  AddBackendFlags(*cmd, options.model_options);
  cmd->add_option("--input-size", flags->input_size,
                  "Image size for a model whose input size is open: N or WxH (the int8 file "
                  "keeps it)");
  cmd->add_option("--threads", options.model_options.backend_options.threads,
                  "Threads for inference (0: all cores)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--batch-size", options.batch_size, "Images per inference call")
      ->capture_default_str()
      ->check(CLI::Range(1, static_cast<int>(model::LargestMaxBatch())));
  cmd->add_option("--resize", flags->resize, "Resize filter, as extract's")
      ->capture_default_str()
      ->check(CLI::IsMember(image::ResizeFilterNames()));
  cmd->add_option("--preprocess", flags->preprocess,
                  "Normalisation, as extract's: give the one your runs will use")
      ->capture_default_str()
      ->check(CLI::IsMember(image::NormalizationNames()));
  cmd->add_flag("-q,--quiet", flags->quiet, "Print nothing but warnings and errors");
  AddS3Flags(*cmd, flags->s3);
  cmd->callback([flags] { Quantize(*flags); });
}

}  // namespace fruits::cli
