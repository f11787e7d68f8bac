#include "cli/run_summary.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace fruits::cli {

void PrintRunSummary(storage::ObjectStore& store, const std::string& folder) {
  auto text = store.Read(folder + "/manifest.json");
  if (!text.ok()) {
    throw UsageError("'" + folder + "' holds no manifest.json (" + text.error() +
                     "): give a Parquet file or the output folder of a run");
  }
  nlohmann::ordered_json m;
  try {
    m = nlohmann::ordered_json::parse(text.value());
    const auto& input = m.at("input");
    const auto& model = m.at("model");
    const auto& results = m.at("results");
    fmt::print("run         {} ({}, fruits {}, finished {})\n", folder,
               m.at("status").get<std::string>(), m.at("fruits").at("version").get<std::string>(),
               m.at("finished_at").get<std::string>());
    fmt::print("command     {}\n", m.at("command_line").get<std::string>());
    const int64_t shards = input.at("shards").get<int64_t>();
    fmt::print("input       {}: {} images in {} shard{} ({} other files skipped)\n",
               input.at("source").get<std::string>(), input.at("images").get<int64_t>(), shards,
               shards == 1 ? "" : "s", input.at("skipped_files").get<int64_t>());
    fmt::print("model       {} (sha256 {}), feature layer '{}' ({} floats), {} backend\n",
               model.at("source").get<std::string>(),
               model.at("sha256").get<std::string>().substr(0, 12),
               model.at("feature_layer").get<std::string>(), model.at("feature_dim").get<int64_t>(),
               model.at("backend").get<std::string>());
    fmt::print("results     {} ok, {} failed{}\n", results.at("ok").get<int64_t>(),
               results.at("failed").get<int64_t>(),
               results.at("failed").get<int64_t>() > 0
                   ? " (see " + m.at("outputs").at("errors").get<std::string>() + ")"
                   : "");
    if (m.contains("pca")) {
      const auto& pca = m.at("pca");
      fmt::print("PCA         {} -> {} components ({}), {:.1f}% of the variance kept\n",
                 pca.at("d_in").get<int64_t>(), pca.at("k").get<int64_t>(),
                 pca.at("k_reason").get<std::string>(),
                 100 * pca.at("variance_kept").get<double>());
    }
    if (m.contains("classifier")) {
      const auto& c = m.at("classifier");
      fmt::print("classifier  {} labels on {} components ({}), training accuracy {:.2f}%\n",
                 c.at("labels").get<int64_t>(), c.at("k").get<int64_t>(),
                 c.at("k_reason").get<std::string>(),
                 100 * c.at("training_accuracy").get<double>());
    }
    if (m.contains("evaluation")) {
      const auto& e = m.at("evaluation");
      // Null when no test image has a label the classifier knows.
      auto percent = [](const nlohmann::ordered_json& v) {
        return v.is_number() ? fmt::format("{:.2f}%", 100 * v.get<double>()) : "n/a";
      };
      fmt::print("test        accuracy {} on {} images (top-{} {})\n", percent(e.at("accuracy")),
                 e.at("rows").get<int64_t>(), e.at("top_k").get<int>(),
                 percent(e.at("top_k_accuracy")));
    }
    fmt::print("speed       {:.1f} img/s, {:.1f} s extracting, peak memory {:.0f} MiB\n",
               m.at("images_per_second").get<double>(), m.at("seconds").at("total").get<double>(),
               m.at("peak_memory_mib").get<double>());
    if (m.contains("step_seconds")) {
      std::string steps;
      for (const auto& [name, seconds] : m.at("step_seconds").items()) {
        steps +=
            fmt::format("{}{} {:.1f} s", steps.empty() ? "" : ", ", name, seconds.get<double>());
      }
      fmt::print("steps       {}\n", steps);
    }
    std::string outputs;
    for (const auto& [name, path] : m.at("outputs").items()) {
      outputs += (outputs.empty() ? "" : ", ") + path.get<std::string>();
    }
    fmt::print("outputs     {}\n", outputs);
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + folder + "/manifest.json' is not a fruits manifest: " + e.what());
  }
}

}  // namespace fruits::cli
