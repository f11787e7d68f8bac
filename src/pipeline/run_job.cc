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

// The test extraction's fields, under "test" and with names of their own beside the training
// extraction's.
ManifestSection TestExtractSection(const ExtractSummary& summary) {
  const ManifestSection& m = summary.manifest;
  ManifestSection section;
  section["test"] = {{"input", m.at("input")},
                     {"results", m.at("results")},
                     {"images_per_second", m.at("images_per_second")}};
  section["outputs"] = {{"test_features", m.at("outputs").at("features")},
                        {"test_errors", m.at("outputs").at("errors")}};
  section["step_seconds"] = {{"extract_test", m.at("step_seconds").at("extract")}};
  return section;
}

ManifestSection TestTransformSection(const TransformResult& transform) {
  ManifestSection section;
  section["outputs"] = {{"test_pca", transform.manifest.at("outputs").at("pca")}};
  section["step_seconds"] = {
      {"pca_transform_test", transform.manifest.at("step_seconds").at("pca_transform")}};
  return section;
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

  RunSummary run{Extract(store, comm, options.extract)};
  header.interrupted = run.extract.interrupted;
  sections.push_back(run.extract.manifest);
  WriteJobManifest(store, comm, layout, header, sections);
  if (run.extract.interrupted) return run;
  if (run.extract.ok == 0) throw Error("no image could be read: nothing to fit a PCA on");

  pca::PcaOptions pca = options.pca;
  if (options.test) {
    ExtractOptions test = options.extract;
    test.input = options.test->input;
    test.input_list.clear();
    test.output = layout.TestRoot();
    run.test_extract = Extract(store, comm, test);
    header.interrupted = run.test_extract->interrupted;
    sections.push_back(TestExtractSection(*run.test_extract));
    WriteJobManifest(store, comm, layout, header, sections);
    if (header.interrupted) return run;
    if (run.test_extract->ok == 0) throw Error("no test image could be read: nothing to evaluate");

    TrainOptions train = options.test->train;
    train.features = layout.FeaturesFolder();
    train.output = layout.ClassifierFolder();
    train.resume = resume;
    run.train = TrainClassifier(store, comm, train);
    sections.push_back(run.train->manifest);
    // The run's PCA is the classifier's: same features, its k.
    pca = {.k = run.train->classifier->pca().d_out(),
           .whiten = train.whiten,
           .k_origin = "the classifier's, " + layout.ClassifierFolder()};
  }

  run.fit = FitPca(store, comm, layout.FeaturesFolder(), layout.PcaModelFolder(), pca, resume);
  run.transform = TransformPca(store, comm, layout.FeaturesFolder(), run.fit->model,
                               layout.PcaFolder(), resume);
  header.command = "run";
  sections.push_back(run.fit->manifest);
  sections.push_back(run.transform->manifest);
  if (options.test) {
    const OutputLayout test(layout.TestRoot());
    run.test_transform =
        TransformPca(store, comm, test.FeaturesFolder(), run.fit->model, test.PcaFolder(), resume);
    sections.push_back(TestTransformSection(*run.test_transform));
    run.evaluate = EvaluateClassifier(
        store, comm, *run.train->classifier, layout.ClassifierFolder(),
        {test.FeaturesFolder(), layout.EvaluationFolder(), options.test->top, resume});
    sections.push_back(run.evaluate->manifest);
  }
  WriteJobManifest(store, comm, layout, header, sections);
  return run;
}

}  // namespace fruits::pipeline
