// OUT/manifest.json: what ran, on what, with what result — for people and for scripts.
//
// Each step returns its ManifestSection (a JSON fragment: the fields it owns, the folders it
// wrote under "outputs", its seconds under "step_seconds"); the job that ran the steps writes the
// manifest from them. The manifest knows no step, and no step writes the file. Written
// atomically at the end of every run, complete or interrupted (and after each step of a job);
// a resumed run rewrites it with the totals over all shards. Fields are documented in
// docs/outputs.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/output_layout.h"
#include "storage/object_store.h"

namespace fruits::pipeline {

// A step's fields. Sections are merged in order (RFC 7396 merge patch), so a later step may add
// to an object an earlier one started ("pca", "outputs"). The keys "outputs" (name -> folder)
// and "step_seconds" (name -> seconds) are gathered at the end of the manifest.
using ManifestSection = nlohmann::ordered_json;

// What the job was.
struct ManifestHeader {
  std::string command;  // "extract", "run"
  std::string command_line;
  bool interrupted = false;
};

// Writes OUT/manifest.json: the fruits build, the header, every section's fields in order, the
// peak memory, the outputs, and (when more than one step ran) the seconds of each step.
void WriteManifest(storage::ObjectStore& store, const OutputLayout& layout,
                   const ManifestHeader& header, const std::vector<ManifestSection>& sections);

// `value` rounded to `decimals` places, printed by JSON as the decimal (0.087, not
// 0.08700000000000001): how manifest sections store seconds and ratios.
double RoundTo(double value, int decimals);

}  // namespace fruits::pipeline
