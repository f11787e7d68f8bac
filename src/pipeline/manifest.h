// OUT/manifest.json: what ran, on what, with what result — for people and for scripts.
//
// Written atomically at the end of every run, complete or interrupted; a resumed run rewrites
// it with the totals over all shards. Fields are documented in docs/outputs.md.
#pragma once

#include "pipeline/extractor.h"
#include "pipeline/output_layout.h"
#include "pipeline/pca_steps.h"
#include "storage/object_store.h"

namespace fruits::pipeline {

void WriteManifest(storage::ObjectStore& store, const OutputLayout& layout,
                   const ExtractOptions& options, const ExtractSummary& summary, int threads);

// `fruits run`: adds the PCA steps to the manifest the extraction wrote ("command": "run", a
// "pca" section, and seconds per step).
void AddPcaToManifest(storage::ObjectStore& store, const OutputLayout& layout, const FitResult& fit,
                      const TransformResult& transform, double extract_seconds);

}  // namespace fruits::pipeline
