#include "pipeline/run_job.h"

#include <vector>

#include "pipeline/manifest.h"
#include "pipeline/output_layout.h"
#include "util/error.h"

namespace fruits::pipeline {

namespace {

// The manifest of the steps done so far, written by rank 0 while the others wait, so that no
// process ends (and no later step starts) before it is in place.
void WriteJobManifest(storage::ObjectStore& store, dist::Communicator& comm,
                      const OutputLayout& layout, const ManifestHeader& header,
                      const std::vector<ManifestSection>& sections) {
  if (comm.is_root()) WriteManifest(store, layout, header, sections);
  comm.Barrier();
}

}  // namespace

ExtractSummary ExtractJob(storage::ObjectStore& store, dist::Communicator& comm,
                          const ExtractOptions& options) {
  ExtractSummary summary = Extract(store, comm, options);
  WriteJobManifest(store, comm, OutputLayout(options.output),
                   {"extract", options.command_line, summary.interrupted}, {summary.manifest});
  return summary;
}

RunSummary RunJob(storage::ObjectStore& store, dist::Communicator& comm,
                  const RunOptions& options) {
  const OutputLayout layout(options.extract.output);
  const bool resume = options.extract.resume;
  ManifestHeader header{"extract", options.extract.command_line, false};
  std::vector<ManifestSection> sections;

  RunSummary run{Extract(store, comm, options.extract), std::nullopt, std::nullopt};
  header.interrupted = run.extract.interrupted;
  sections.push_back(run.extract.manifest);
  WriteJobManifest(store, comm, layout, header, sections);
  if (run.extract.interrupted) return run;
  if (run.extract.ok == 0) throw Error("no image could be read: nothing to fit a PCA on");

  run.fit =
      FitPca(store, comm, layout.FeaturesFolder(), layout.PcaModelFolder(), options.pca, resume);
  run.transform = TransformPca(store, comm, layout.FeaturesFolder(), run.fit->model,
                               layout.PcaFolder(), resume);
  header.command = "run";
  sections.push_back(run.fit->manifest);
  sections.push_back(run.transform->manifest);
  WriteJobManifest(store, comm, layout, header, sections);
  return run;
}

}  // namespace fruits::pipeline
