// What an extraction has to do: the catalog, its shards and their digests, what an earlier run
// already completed, and the shards left, in a queue every process shares.
//
// Made collectively (every rank calls MakeWorkPlan with the same arguments): rank 0 lists the
// input and, with resume, looks for completed shards; the others receive both. Throws UsageError
// when the input holds no image. The plan is a plain value afterwards, read by every worker.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dist/communicator.h"
#include "pipeline/catalog.h"
#include "pipeline/output_layout.h"
#include "storage/object_store.h"

namespace fruits::pipeline {

// Where the images come from: exactly one of `folder` and `list_file` is set.
struct InputSource {
  std::string folder;
  std::string list_file;
  CatalogOptions catalog;

  const std::string& uri() const { return folder.empty() ? list_file : folder; }
};

struct WorkPlan {
  Catalog catalog;
  std::vector<Shard> shards;
  std::vector<std::string> digests;  // by shard id
  std::vector<int64_t> pending;      // ids of the shards left to do, in order
  // Complete from an earlier run (resume), kept as they are.
  int64_t resumed_shards = 0;
  int64_t resumed_ok = 0;
  int64_t resumed_failed = 0;
  int64_t resumed_images = 0;
  double catalog_seconds = 0;  // listing (rank 0) and sending the catalog to every process
};

// REQUIRES: shard_size > 0.
WorkPlan MakeWorkPlan(storage::ObjectStore& store, dist::Communicator& comm,
                      const InputSource& input, int64_t shard_size, bool resume,
                      const OutputLayout& layout);

}  // namespace fruits::pipeline
