#include "pipeline/manifest.h"

#include <cmath>

#include "util/peak_memory.h"
#include "util/utc_now.h"
#include "util/version.h"

namespace fruits::pipeline {

double RoundTo(double value, int decimals) {
  // Dividing by a power of ten (rather than multiplying by 0.001) gives the double closest to
  // the decimal.
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

void WriteManifest(storage::ObjectStore& store, const OutputLayout& layout,
                   const ManifestHeader& header, const std::vector<ManifestSection>& sections) {
  nlohmann::ordered_json manifest;
  manifest["fruits"] = {{"version", kVersion}, {"git", kGitRevision}, {"build", kBuildType}};
  manifest["command"] = header.command;
  manifest["command_line"] = header.command_line;
  manifest["finished_at"] = UtcNow();
  manifest["status"] = header.interrupted ? "interrupted" : "complete";
  nlohmann::ordered_json outputs = nlohmann::ordered_json::object();
  nlohmann::ordered_json step_seconds = nlohmann::ordered_json::object();
  for (ManifestSection fields : sections) {
    if (fields.contains("outputs")) outputs.merge_patch(fields["outputs"]);
    if (fields.contains("step_seconds")) step_seconds.merge_patch(fields["step_seconds"]);
    fields.erase("outputs");
    fields.erase("step_seconds");
    manifest.merge_patch(fields);
  }
  manifest["peak_memory_mib"] = RoundTo(static_cast<double>(PeakResidentBytes()) / (1 << 20), 1);
  manifest["outputs"] = outputs;
  if (sections.size() > 1) manifest["step_seconds"] = step_seconds;
  store.Write(layout.Manifest(), manifest.dump(2) + "\n");
}

}  // namespace fruits::pipeline
