#include "cli/extract_flags.h"

#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/s3_flags.h"
#include "util/error.h"
#include "util/log.h"
#include "util/stop_signal.h"

namespace fruits::cli {

void ParseInputSize(const std::string& text, model::ModelOptions& options) {
  if (text.empty()) return;
  int64_t width = 0, height = 0;
  char x = 0, rest = 0;
  int fields = std::sscanf(text.c_str(), "%ld%c%ld%c", &width, &x, &height, &rest);
  if (fields == 1) height = width;
  if (!(fields == 1 || (fields == 3 && x == 'x')) || width < 8 || height < 8 || width > 4096 ||
      height > 4096) {
    throw UsageError("--input-size '" + text +
                     "' is not a size: give N (square) or WxH, between 8 and 4096");
  }
  options.input_width = width;
  options.input_height = height;
}

void AddBackendFlags(CLI::App& cmd, model::ModelOptions& options) {
  cmd.add_option("--feature-layer", options.feature_layer,
                 "Tensor whose values are the features (default: the input of the final "
                 "classifier)");
  std::vector<std::string> backends = model::BackendNames();
  std::string engines;
  for (size_t i = 1; i < backends.size(); ++i) engines += (i > 1 ? ", " : "") + backends[i];
  cmd.add_option(
         "--backend", options.backend,
         "Inference engine: auto: the first of " + engines + " that runs the model; or one of them")
      ->capture_default_str()
      ->check(CLI::IsMember(backends));
}

void AddExtractFlags(CLI::App& cmd, ExtractFlags& flags) {
  pipeline::ExtractOptions& options = flags.options;
  auto* input = cmd.add_option("--input", options.input, "Folder of images, read recursively");
  cmd.add_option("--input-list", options.input_list,
                 "File listing images, one path per line (relative to the file's folder)")
      ->excludes(input);
  cmd.add_option("--model", options.model, "ONNX model (e.g. MobileNetV2)")->required();
  cmd.add_option("-o,--output", options.output, "Output folder")->required();
  cmd.add_option("--label-from", flags.label_from, "Where labels come from")
      ->capture_default_str()
      ->check(CLI::IsMember({"parent", "none"}));
  cmd.add_option("--shard-size", options.shard_size, "Images per output part: the unit of --resume")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--batch-size", options.batch_size, "Images per inference call")
      ->capture_default_str()
      ->check(CLI::Range(1, static_cast<int>(model::LargestMaxBatch())));
  cmd.add_option("--threads", options.threads, "Workers (0: all cores)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  AddBackendFlags(cmd, options.model_options);
  cmd.add_option("--input-size", flags.input_size,
                 "Image size for a model whose input size is open: N or WxH");
  cmd.add_option("--resize", flags.resize,
                 "Resize filter, as Pillow's (bicubic: Image.resize's default)")
      ->capture_default_str()
      ->check(CLI::IsMember(image::ResizeFilterNames()));
  cmd.add_option("--preprocess", flags.preprocess,
                 "Normalisation: mobilenet (x/127.5-1, Keras MobileNetV2), imagenet (mean/std), "
                 "caffe (BGR, mean), none")
      ->capture_default_str()
      ->check(CLI::IsMember(image::NormalizationNames()));
  cmd.add_option("--max-megapixels", flags.max_megapixels,
                 "Larger images are refused (error record) before decoding")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_flag("--resume", options.resume,
               "Keep what a previous run into the same --output completed; do the rest");
  cmd.add_flag("--fail-on-error", flags.fail_on_error,
               "Exit with status 1 when any image failed (they are always recorded)");
  cmd.add_flag("-q,--quiet", options.quiet, "Print nothing but warnings and errors");
  AddS3Flags(cmd, flags.s3);
}

void ResolveExtractFlags(ExtractFlags& flags) {
  pipeline::ExtractOptions& options = flags.options;
  options.catalog.label_from = flags.label_from == "none" ? pipeline::LabelSource::kNone
                                                          : pipeline::LabelSource::kParentFolder;
  ParseInputSize(flags.input_size, options.model_options);
  options.resize = image::ParseResizeFilter(flags.resize);
  options.normalization = image::ParseNormalization(flags.preprocess);
  options.decode.max_pixels = static_cast<int64_t>(flags.max_megapixels * 1e6);
}

void StartExtraction(ExtractFlags& flags, dist::Communicator& comm) {
  ResolveExtractFlags(flags);
  SetLogQuiet(flags.options.quiet || !comm.is_root());
  StopSignal::Install();
}

void ReportExtraction(const pipeline::ExtractSummary& summary, const ExtractFlags& flags,
                      dist::Communicator& comm) {
  const pipeline::ExtractOptions& options = flags.options;
  if (!options.quiet && comm.is_root()) {
    fmt::print("{} {} of {} images ({} failed{}) in {:.1f} s, {:.1f} img/s\n",
               summary.interrupted ? "interrupted after" : "extracted", summary.ok, summary.inputs,
               summary.failed, summary.failed > 0 ? ": see " + options.output + "/errors" : "",
               summary.seconds, summary.images_per_second);
  }
  if (summary.interrupted) {
    throw ExitRequest(kExitInterrupted,
                      "stopped: complete shards are kept; run the same command with --resume "
                      "to finish");
  }
}

}  // namespace fruits::cli
