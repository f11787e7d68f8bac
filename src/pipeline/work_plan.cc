#include "pipeline/work_plan.h"

#include <chrono>

#include "pipeline/shard_writer.h"
#include "util/log.h"

namespace fruits::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

// Rank 0 lists the input once; the others receive its catalog.
Catalog SharedCatalog(storage::ObjectStore& store, dist::Communicator& comm,
                      const InputSource& input) {
  Catalog catalog;
  std::string bytes;
  if (comm.is_root()) {
    catalog = input.folder.empty() ? Catalog::FromListFile(store, input.list_file, input.catalog)
                                   : Catalog::FromFolder(store, input.folder, input.catalog);
    bytes = catalog.Serialize();
  }
  comm.Broadcast(bytes);
  if (!comm.is_root()) catalog = Catalog::Deserialize(bytes);
  return catalog;
}

// Rank 0 finds the shards an earlier run completed; every rank learns which are left.
void FindCompletedShards(storage::ObjectStore& store, dist::Communicator& comm,
                         const OutputLayout& layout, WorkPlan& plan) {
  std::string complete(plan.shards.size(), '0');
  if (comm.is_root()) {
    for (const Shard& shard : plan.shards) {
      if (auto counts = FindCompletedShard(store, layout, shard, plan.digests[shard.id])) {
        complete[shard.id] = '1';
        plan.resumed_ok += counts->ok;
        plan.resumed_failed += counts->failed;
        plan.resumed_images += static_cast<int64_t>(shard.size());
      }
    }
  }
  comm.Broadcast(complete);
  std::vector<double> resumed = {static_cast<double>(plan.resumed_ok),
                                 static_cast<double>(plan.resumed_failed),
                                 static_cast<double>(plan.resumed_images)};
  comm.AllReduceSum(resumed);  // only rank 0 counted: every rank gets its figures
  plan.resumed_ok = static_cast<int64_t>(resumed[0]);
  plan.resumed_failed = static_cast<int64_t>(resumed[1]);
  plan.resumed_images = static_cast<int64_t>(resumed[2]);
  plan.pending.clear();
  for (const Shard& shard : plan.shards) {
    if (complete[shard.id] == '0') plan.pending.push_back(shard.id);
  }
  plan.resumed_shards = static_cast<int64_t>(plan.shards.size() - plan.pending.size());
}

}  // namespace

WorkPlan MakeWorkPlan(storage::ObjectStore& store, dist::Communicator& comm,
                      const InputSource& input, int64_t shard_size, bool resume,
                      const OutputLayout& layout) {
  const auto start = Clock::now();
  WorkPlan plan;
  plan.catalog = SharedCatalog(store, comm, input);
  plan.catalog_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  plan.shards = plan.catalog.Shards(shard_size);
  const Catalog& catalog = plan.catalog;
  LogInfo(std::to_string(catalog.size()) + " images in " + std::to_string(plan.shards.size()) +
          " shard" + (plan.shards.size() == 1 ? "" : "s") + " from '" + input.uri() + "'" +
          (comm.size() > 1 ? " for " + std::to_string(comm.size()) + " processes" : "") +
          (catalog.skipped() > 0
               ? " (" + std::to_string(catalog.skipped()) + " files that are not images skipped)"
               : ""));
  for (const Shard& shard : plan.shards) plan.digests.push_back(catalog.ShardDigest(shard));
  if (resume) {
    FindCompletedShards(store, comm, layout, plan);
  } else {
    for (const Shard& shard : plan.shards) plan.pending.push_back(shard.id);
  }
  if (plan.resumed_shards > 0) {
    LogInfo("resuming: " + std::to_string(plan.resumed_shards) + " of " +
            std::to_string(plan.shards.size()) + " shards already complete");
  }
  return plan;
}

}  // namespace fruits::pipeline
