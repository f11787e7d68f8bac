// The same job on 1, 2 and 3 MPI processes (real mpirun): the same files, and a killed process
// followed by --resume giving exactly the outputs of an uninterrupted run.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/background_process.h"
#include "support/fruits_cli.h"
#include "support/read_file.h"
#include "support/reference_readers.h"
#include "support/run_command.h"
#include "support/sample_set_test.h"

namespace fruits {
namespace {

namespace fs = std::filesystem;
using testing::ExpectContains;
using testing::ReadFile;
using testing::ReadJson;
using testing::RunCommand;
using testing::ShellQuote;
using testing::TempDir;

// OpenMPI refuses root (CI runs as root) unless told; --oversubscribe allows more ranks than cores.
std::string MpiRun(int processes) {
  return "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe "
         "-np " +
         std::to_string(processes) + " " + ShellQuote(FRUITS_BINARY);
}

std::vector<std::string> Files(const std::string& folder) {
  std::vector<std::string> names;
  if (!fs::exists(folder)) return names;
  for (const auto& entry : fs::directory_iterator(folder)) {
    // Hidden names are a writer's temporaries, not parts.
    if (!entry.path().filename().string().starts_with(".")) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Every PCA coordinate of a run, by path, as DuckDB reads them.
std::map<std::string, std::vector<float>> PcaRows(const std::string& out) {
  std::map<std::string, std::vector<float>> rows;
  for (const auto& name : Files(out + "/pca")) {
    const nlohmann::json table = testing::DuckDbRead(out + "/pca/" + name);
    for (const auto& row : table["rows"]) {
      EXPECT_EQ(rows.count(row[0].get<std::string>()), 0u) << "duplicate " << row[0];
      rows[row[0].get<std::string>()] = row[2].get<std::vector<float>>();
    }
  }
  return rows;
}

class Mpi : public testing::SampleSetTest {
 protected:
  static std::string RunFlags(const std::string& out) {
    return "run --input " + ShellQuote(Training()) + " --model " + ShellQuote(Model()) + " -o " +
           ShellQuote(out) + " --k 6 --shard-size 9 --batch-size 3 --threads 1 -q";
  }
};

TEST_F(Mpi, OneTwoAndThreeProcessesWriteTheSameOutputs) {
  TempDir out;
  auto single = testing::Fruits(RunFlags(out.File("np0")));
  ASSERT_EQ(single.exit_code, 0) << single.err;
  const auto reference = PcaRows(out.File("np0"));
  ASSERT_EQ(reference.size(), 36u);
  for (int processes : {1, 2, 3}) {
    const std::string target = out.File("np" + std::to_string(processes));
    auto r = RunCommand(MpiRun(processes) + " " + RunFlags(target));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Features: the same part files, byte for byte, whichever process wrote which shard.
    ASSERT_EQ(Files(target + "/features"), Files(out.File("np0/features")));
    for (const auto& name : Files(target + "/features")) {
      EXPECT_EQ(ReadFile(target + "/features/" + name), ReadFile(out.File("np0/features/" + name)))
          << name << " with " << processes << " processes";
    }
    // PCA: the same model within 1e-9 (numpy reads both), the same coordinates within float
    // precision.
    auto numpy = RunCommand(
        "/usr/bin/python3 -c " +
        ShellQuote("import numpy as n; a, b = '" + out.File("np0") + "/pca_model/', '" + target +
                   "/pca_model/'; print(max(abs(n.load(a + f) - n.load(b + f)).max() / "
                   "abs(n.load(a + f)).max() for f in ('mean.npy', 'components.npy', "
                   "'explained_variance.npy')) < 1e-9)"));
    EXPECT_EQ(numpy.out, "True\n") << numpy.err;
    const auto rows = PcaRows(target);
    ASSERT_EQ(rows.size(), reference.size());
    for (const auto& [path, row] : reference) {
      ASSERT_EQ(rows.at(path).size(), row.size());
      for (size_t i = 0; i < row.size(); ++i) {
        EXPECT_NEAR(rows.at(path)[i], row[i], 1e-5f * (1 + std::abs(row[i]))) << path;
      }
    }
    nlohmann::json manifest = ReadJson(target + "/manifest.json");
    EXPECT_EQ(manifest["settings"]["processes"], processes);
    EXPECT_EQ(manifest["results"]["ok"], 36);
    if (processes > 1) {
      ASSERT_EQ(manifest["ranks"].size(), static_cast<size_t>(processes));
      int64_t shards = 0;
      for (const auto& rank : manifest["ranks"]) shards += rank["shards"].get<int64_t>();
      EXPECT_EQ(shards, 4);
    }
  }
}

// One process killed mid-run ends the job; --resume on the next launch redoes only what is
// missing, and the outputs are those of an uninterrupted run.
TEST_F(Mpi, AKilledProcessThenResumeGivesTheUninterruptedOutputs) {
  TempDir out;
  // Every image, one at a time, through the model at 224x224: slow enough to be killed midway.
  const std::string model = out.File("model224.onnx");
  ASSERT_EQ(testing::Fruits("model init --seed 2 -o " + ShellQuote(model)).exit_code, 0);
  const std::string flags = "run --input " + ShellQuote(Data()) + " --model " + ShellQuote(model) +
                            " --k 6 --shard-size 3 --batch-size 1 " + "--threads 1 -q -o ";
  ASSERT_EQ(testing::Fruits(flags + ShellQuote(out.File("whole"))).exit_code, 0);
  const std::string target = out.File("killed");
  {
    testing::BackgroundProcess job(MpiRun(2) + " " + flags + ShellQuote(target), out.File("log"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (Files(target + "/features").empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_FALSE(Files(target + "/features").empty()) << ReadFile(out.File("log"));
    // Kill the newest process of this job (a rank, not mpirun, which starts first): the job
    // must notice and end. The output folder in the pattern keeps other tests' processes safe;
    // the bracket keeps it from matching the shell that runs pkill.
    std::string binary = FRUITS_BINARY;
    const size_t name = binary.rfind('/') + 1;
    binary.replace(name, 1, "[" + binary.substr(name, 1) + "]");
    RunCommand("pkill -KILL -f -n " + ShellQuote(binary + " run .* -o " + target));
    const int status = job.Wait();
    EXPECT_NE(status, 0);
    ExpectContains(ReadFile(out.File("log")), "exited on signal 9");
  }
  const size_t kept = Files(target + "/features").size();
  EXPECT_LT(kept, 16u) << "the job finished before the kill";
  auto resumed = RunCommand(MpiRun(2) + " " + flags + ShellQuote(target) + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  for (const auto& name : Files(out.File("whole/features"))) {
    EXPECT_EQ(ReadFile(target + "/features/" + name), ReadFile(out.File("whole/features/" + name)))
        << name;
  }
  EXPECT_EQ(PcaRows(target), PcaRows(out.File("whole")));
  nlohmann::json manifest = ReadJson(target + "/manifest.json");
  EXPECT_EQ(manifest["results"]["ok"], 48);
  EXPECT_GE(manifest["results"]["shards_resumed"], kept) << "--resume redid complete shards";
}

}  // namespace
}  // namespace fruits

namespace fruits {
namespace {

// Two test hosts: network namespaces joined by a veth pair, made and removed by the test.
class TwoHosts {
 public:
  explicit TwoHosts(const TempDir& dir) {
    const std::string id = std::to_string(::getpid());
    names_ = {"fruitsA" + id, "fruitsB" + id};
    std::string setup = "ip netns add " + names_[0] + " && ip netns add " + names_[1] +
                        " && ip link add va" + id + " type veth peer name vb" + id +
                        " && ip link set va" + id + " netns " + names_[0] + " && ip link set vb" +
                        id + " netns " + names_[1];
    for (int i = 0; i < 2; ++i) {
      const std::string dev = (i == 0 ? "va" : "vb") + id;
      setup += " && ip -n " + names_[i] + " addr add " + Address(i) + "/24 dev " + dev +
               " && ip -n " + names_[i] + " link set " + dev + " up && ip -n " + names_[i] +
               " link set lo up";
    }
    auto r = RunCommand(setup);
    ok_ = r.exit_code == 0;
    reason_ = r.err;
    // mpirun starts remote daemons through this "remote shell": it enters the host's namespace.
    agent_ = dir.File("netns-rsh");
    std::ofstream(agent_) << "#!/bin/sh\nhost=$1; shift\necho \"$host\" >> "
                          << dir.File("agent.log") << "\ncase \"$host\" in " << Address(0)
                          << ") ns=" << names_[0] << ";; " << Address(1) << ") ns=" << names_[1]
                          << ";; *) exit 1;; esac\nexec ip netns exec \"$ns\" env "
                             "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 sh -c "
                             "\"$*\"\n";
    fs::permissions(agent_, fs::perms::owner_all);
    hostfile_ = dir.File("hosts");
    std::ofstream(hostfile_) << Address(0) << " slots=1\n" << Address(1) << " slots=1\n";
  }
  ~TwoHosts() { RunCommand("ip netns del " + names_[0] + "; ip netns del " + names_[1]); }

  bool ok() const { return ok_; }
  const std::string& reason() const { return reason_; }
  // mpirun on the first host, one process per host, talking TCP over the veth pair only.
  std::string MpiRun() const {
    return "ip netns exec " + names_[0] +
           " env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --hostfile " +
           hostfile_ + " -np 2 --mca plm_rsh_agent " + agent_ +
           " --mca btl tcp,self --mca oob_tcp_if_include 10.77.0.0/24 --mca "
           "btl_tcp_if_include 10.77.0.0/24 " +
           ShellQuote(FRUITS_BINARY);
  }
  static std::string Address(int host) { return "10.77.0." + std::to_string(host + 1); }

 private:
  std::vector<std::string> names_;
  std::string agent_;
  std::string hostfile_;
  bool ok_ = false;
  std::string reason_;
};

TEST_F(Mpi, TwoHostsInNetworkNamespacesWriteTheSameOutputs) {
  TempDir dir;
  TwoHosts hosts(dir);
  if (!hosts.ok()) GTEST_SKIP() << "cannot make network namespaces here: " << hosts.reason();
  ASSERT_EQ(testing::Fruits(RunFlags(dir.File("single"))).exit_code, 0);
  auto r = RunCommand("timeout 120 " + hosts.MpiRun() + " " + RunFlags(dir.File("two")));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ExpectContains(ReadFile(dir.File("agent.log")), TwoHosts::Address(1));
  nlohmann::json manifest = ReadJson(dir.File("two/manifest.json"));
  ASSERT_EQ(manifest["ranks"].size(), 2u);
  for (const auto& rank : manifest["ranks"]) EXPECT_GT(rank["shards"].get<int64_t>(), 0);
  for (const auto& name : Files(dir.File("single/features"))) {
    EXPECT_EQ(ReadFile(dir.File("two/features/" + name)),
              ReadFile(dir.File("single/features/" + name)))
        << name;
  }
  EXPECT_EQ(PcaRows(dir.File("two")).size(), 36u);
}

}  // namespace
}  // namespace fruits
