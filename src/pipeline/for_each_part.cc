#include "pipeline/for_each_part.h"

#include "parquet/reader.h"
#include "util/byte_codec.h"
#include "util/error.h"
#include "util/version.h"

namespace fruits::pipeline {

namespace {

// Whether `target` is the output of `input` made with `facts` (same facts, same shard digest,
// all its rows): the check --resume trusts.
bool AlreadyWritten(storage::ObjectStore& store, const std::string& target,
                    const FeaturesPartReader& input, const std::vector<parquet::KeyValue>& facts) {
  if (!store.Exists(target)) return false;
  parquet::ParquetReader done(store.NewRandomAccessFile(target));
  for (const parquet::KeyValue& fact : facts) {
    if (done.FindMetadata(fact.key) != fact.value) return false;
  }
  return done.FindMetadata(footer::kShardDigest) == input.shard_digest() &&
         done.num_rows() == input.num_rows();
}

}  // namespace

std::vector<std::string> PartsIn(storage::ObjectStore& store, const std::string& folder) {
  std::vector<std::string> parts;
  if (store.Exists(folder)) {
    for (const auto& object : store.List(folder)) {
      const std::string name = PartFileName(object.uri);
      if (name.starts_with("part-") && name.ends_with(".parquet")) parts.push_back(object.uri);
    }
  }
  return parts;
}

std::vector<std::string> FeatureParts(storage::ObjectStore& store, const std::string& folder) {
  std::vector<std::string> parts = PartsIn(store, folder);
  if (parts.empty()) {
    throw UsageError("no features parts (part-*.parquet) in '" + folder +
                     "': give the features folder of a run (OUT/features)");
  }
  return parts;
}

std::vector<std::string> SharedFeatureParts(storage::ObjectStore& store, dist::Communicator& comm,
                                            const std::string& folder) {
  std::string joined;
  if (comm.is_root()) {
    for (const auto& part : FeatureParts(store, folder)) joined += part + '\n';
  }
  comm.Broadcast(joined);
  std::vector<std::string> parts;
  for (size_t at = 0, end; (end = joined.find('\n', at)) != std::string::npos; at = end + 1) {
    parts.push_back(joined.substr(at, end - at));
  }
  return parts;
}

void AppendPartResult(std::string& records, int64_t part, std::string_view bytes) {
  AppendU64(records, static_cast<uint64_t>(part));
  AppendBytes(records, bytes);
}

std::map<int64_t, std::string> PartResultsInOrder(const std::vector<std::string>& gathered) {
  std::map<int64_t, std::string> by_part;
  for (const std::string& records : gathered) {
    ByteReader reader(records, "a per-part results message");
    while (!reader.done()) {
      const auto part = static_cast<int64_t>(reader.U64());
      by_part.emplace(part, std::string(reader.Bytes()));
    }
  }
  return by_part;
}

PartTotals ForEachPart(storage::ObjectStore& store, dist::Communicator& comm,
                       const std::vector<std::string>& parts, const PartOutputs& outputs,
                       const std::function<void(PartTask&)>& fn) {
  PartTotals totals;
  auto tasks = comm.NewTaskQueue(static_cast<int64_t>(parts.size()));
  while (std::optional<int64_t> index = tasks->Next()) {
    FeaturesPartReader input(store, parts[*index]);
    PartTask task{*index, input, "", {}};
    if (!outputs.folder.empty()) {
      task.output = outputs.folder + "/" + PartFileName(input.part());
      task.metadata.push_back({footer::kVersion, kVersion});
      task.metadata.insert(task.metadata.end(), outputs.facts.begin(), outputs.facts.end());
      task.metadata.push_back({footer::kShardDigest, input.shard_digest()});
      task.metadata.push_back({footer::kFeaturesPart, input.part()});
      if (outputs.resume && AlreadyWritten(store, task.output, input, outputs.facts)) {
        ++totals.parts_resumed;
        totals.rows += input.num_rows();
        continue;
      }
    }
    fn(task);
    ++totals.parts_written;
    totals.rows += input.num_rows();
  }
  tasks->Finish();
  std::vector<double> sums = {static_cast<double>(totals.rows),
                              static_cast<double>(totals.parts_written),
                              static_cast<double>(totals.parts_resumed)};
  comm.AllReduceSum(sums);
  return {static_cast<int64_t>(sums[0]), static_cast<int64_t>(sums[1]),
          static_cast<int64_t>(sums[2])};
}

}  // namespace fruits::pipeline
