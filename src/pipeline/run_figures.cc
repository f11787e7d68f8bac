#include "pipeline/run_figures.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <nlohmann/json.hpp>
#include <set>

#include "util/error.h"

namespace fruits::pipeline {

std::string RankFigures::Serialize() const {
  return nlohmann::json{{"rank", rank},
                        {"shards", shards},
                        {"images", images},
                        {"seconds", seconds},
                        {"seconds_waiting", seconds_waiting},
                        {"host", host}}
      .dump();
}

RankFigures RankFigures::Deserialize(const std::string& bytes) {
  try {
    const nlohmann::json j = nlohmann::json::parse(bytes);
    return {j.at("rank").get<int>(),
            j.at("shards").get<int64_t>(),
            j.at("images").get<int64_t>(),
            j.at("seconds").get<double>(),
            j.at("seconds_waiting").get<double>(),
            j.at("host").get<std::string>()};
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("a process sent figures that are not a rank's figures: ") + e.what());
  }
}

std::string ThisHost() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

int CountHosts(const std::vector<RankFigures>& ranks) {
  std::set<std::string> hosts;
  for (const RankFigures& rank : ranks) hosts.insert(rank.host);
  return std::max<int>(1, static_cast<int>(hosts.size()));
}

CombinedFigures Combine(dist::Communicator& comm, const RunFigures& mine,
                        const RankFigures& my_rank) {
  // Counts travel as doubles (AllReduceSum's type): exact up to 2^53.
  std::vector<double> sums = {static_cast<double>(mine.ok),
                              static_cast<double>(mine.failed),
                              static_cast<double>(mine.images),
                              static_cast<double>(mine.shards_written),
                              mine.stages.read,
                              mine.stages.decode,
                              mine.stages.infer,
                              mine.stages.write};
  comm.AllReduceSum(sums);
  CombinedFigures combined;
  combined.total = {static_cast<int64_t>(sums[0]),
                    static_cast<int64_t>(sums[1]),
                    static_cast<int64_t>(sums[2]),
                    static_cast<int64_t>(sums[3]),
                    {sums[4], sums[5], sums[6], sums[7]}};
  for (const std::string& bytes : comm.Gather(my_rank.Serialize())) {
    combined.ranks.push_back(RankFigures::Deserialize(bytes));
  }
  return combined;
}

}  // namespace fruits::pipeline
