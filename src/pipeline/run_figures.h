// The figures of an extraction: what each process counted, and the run's once combined.
//
// Every process counts its own images, shards and stage seconds; Combine() sums them over the
// processes (collective: every rank calls it, in the same order as its other collectives) and
// gathers each process's RankFigures on rank 0 for the manifest. Plain values, not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dist/communicator.h"

namespace fruits::pipeline {

// Seconds summed over workers (a stage on two workers for 1 s counts 2 s).
struct StageSeconds {
  double read = 0;
  double decode = 0;
  double infer = 0;
  double write = 0;
};

// One process's share of a run (under mpirun; one entry otherwise).
struct RankFigures {
  int rank = 0;
  int64_t shards = 0;
  int64_t images = 0;
  double seconds = 0;          // in the pipeline
  double seconds_waiting = 0;  // for the next shard and for the other processes to finish
  std::string host;            // the machine's name (gethostname)

  std::string Serialize() const;
  // Throws fruits::Error when the bytes are not a serialised RankFigures.
  static RankFigures Deserialize(const std::string& bytes);
};

// Counts over the images this run handled (shards kept from an earlier run excluded).
struct RunFigures {
  int64_t ok = 0;
  int64_t failed = 0;
  int64_t images = 0;  // handled: ok + failed
  int64_t shards_written = 0;
  StageSeconds stages;
};

struct CombinedFigures {
  RunFigures total;                // over every process, on every rank
  std::vector<RankFigures> ranks;  // in rank order, on rank 0; empty elsewhere
};

// This machine's name, for RankFigures::host.
std::string ThisHost();

// Distinct hosts among `ranks` (at least 1: one process that could not name its host).
int CountHosts(const std::vector<RankFigures>& ranks);

CombinedFigures Combine(dist::Communicator& comm, const RunFigures& mine,
                        const RankFigures& my_rank);

}  // namespace fruits::pipeline
