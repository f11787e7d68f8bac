// The same job on 1, 2 and 3 MPI processes (real mpirun): the same files, and a killed process
// followed by --resume giving exactly the outputs of an uninterrupted run.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/background_process.h"
#include "support/classifier_outputs.h"
#include "support/fruits_cli.h"
#include "support/read_file.h"
#include "support/reference_readers.h"
#include "support/report_page.h"
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
// `options`: more mpirun options.
// This machine's name, as each process records it in the manifest.
std::string HostName() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  return name;
}

std::string MpiRun(int processes, const std::string& options = "") {
  return "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe "
         "-np " +
         std::to_string(processes) + " " + options + " " + ShellQuote(FRUITS_BINARY);
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

// The pids of the processes that announced their test pause in `log`.
std::vector<int> PausedProcesses(const std::string& log) {
  std::vector<int> pids;
  const std::string mark = "fruits: test pause after 2 shards (pid ";
  for (size_t at = log.find(mark); at != std::string::npos; at = log.find(mark, at + 1)) {
    pids.push_back(std::stoi(log.substr(at + mark.size())));
  }
  return pids;
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
    // Every process ran here: one host (what the report bills by default).
    EXPECT_EQ(manifest["settings"]["hosts"], 1);
    if (processes > 1) {
      ASSERT_EQ(manifest["ranks"].size(), static_cast<size_t>(processes));
      int64_t shards = 0;
      for (const auto& rank : manifest["ranks"]) {
        shards += rank["shards"].get<int64_t>();
        EXPECT_EQ(rank["host"], HostName());
      }
      EXPECT_EQ(shards, 4);
    }
  }
}

// One process killed mid-run ends the job; --resume on the next launch redoes only what is
// missing, and the outputs are those of an uninterrupted run. Each process holds still right
// after publishing its 2nd shard (FRUITS_TEST_PAUSE_AFTER_SHARDS, pipeline/shard_sink.h), so the
// kill comes when exactly 4 of the 16 shards are complete.
TEST_F(Mpi, AKilledProcessThenResumeGivesTheUninterruptedOutputs) {
  TempDir out;
  const std::string flags = "run --input " + ShellQuote(Data()) + " --model " +
                            ShellQuote(Model()) +
                            " --k 6 --shard-size 3 --batch-size 1 --threads 1 -q -o ";
  ASSERT_EQ(testing::Fruits(flags + ShellQuote(out.File("whole"))).exit_code, 0);
  const std::string target = out.File("killed");
  const std::string log = out.File("log");
  {
    const std::string pausing = "env FRUITS_TEST_PAUSE_AFTER_SHARDS=2 " +
                                MpiRun(2, "-x FRUITS_TEST_PAUSE_AFTER_SHARDS") + " ";
    testing::BackgroundProcess job(pausing + flags + ShellQuote(target), log);
    std::vector<int> paused;
    for (int i = 0; i < 6000 && paused.size() < 2; ++i) {
      paused = PausedProcesses(ReadFile(log));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(paused.size(), 2u) << ReadFile(log);
    // Kill one rank (not mpirun): the job must notice and end.
    ::kill(paused[1], SIGKILL);
    const int status = job.Wait();
    EXPECT_NE(status, 0);
    ExpectContains(ReadFile(log), "exited on signal 9");
  }
  EXPECT_EQ(Files(target + "/features").size(), 4u);
  auto resumed = RunCommand(MpiRun(2) + " " + flags + ShellQuote(target) + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  for (const auto& name : Files(out.File("whole/features"))) {
    EXPECT_EQ(ReadFile(target + "/features/" + name), ReadFile(out.File("whole/features/" + name)))
        << name;
  }
  EXPECT_EQ(PcaRows(target), PcaRows(out.File("whole")));
  nlohmann::json manifest = ReadJson(target + "/manifest.json");
  EXPECT_EQ(manifest["results"]["ok"], 48);
  EXPECT_EQ(manifest["results"]["shards_resumed"], 4) << "--resume redid complete shards";
  EXPECT_EQ(manifest["results"]["shards_written"], 12);
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
  // Shards go to whichever process asks first, so one process may take them all: what is
  // guaranteed is that both processes ran and that every shard and image was done exactly once.
  ASSERT_EQ(manifest["ranks"].size(), 2u);
  int64_t shards = 0, images = 0;
  for (const auto& rank : manifest["ranks"]) {
    shards += rank["shards"].get<int64_t>();
    images += rank["images"].get<int64_t>();
  }
  EXPECT_EQ(shards, 4);
  EXPECT_EQ(images, 36);
  for (const auto& name : Files(dir.File("single/features"))) {
    EXPECT_EQ(ReadFile(dir.File("two/features/" + name)),
              ReadFile(dir.File("single/features/" + name)))
        << name;
  }
  EXPECT_EQ(PcaRows(dir.File("two")).size(), 36u);
}

}  // namespace
}  // namespace fruits

namespace fruits {
namespace {

// The classifier and its evaluation on two processes: training runs on rank 0 over moments merged
// in part order, evaluation metrics merge in part order, so the outputs are those of one process
// exactly, whichever process took which part.
class MpiClassify : public Mpi {
 protected:
  // 36 training images in 8 parts, 12 test images in 3: both processes have parts to take.
  static std::string RunWithTest(const std::string& out) {
    return "run --input " + ShellQuote(Training()) + " --test " + ShellQuote(Data() + "/Test") +
           " --model " + ShellQuote(Model()) + " -o " + ShellQuote(out) +
           " --k 8 --shard-size 5 --batch-size 3 --threads 1 -q";
  }
  // One process as an mpirun rank runs: mpirun binds each rank to a core, so OpenBLAS runs one
  // thread there. With OpenBLAS's default threads (one per core) the eigen-decomposition's sums
  // go in another order, and the PCA differs in its last bits (8.6e-16 in the components):
  // identical outputs are a promise about processes, not about BLAS threads.
  static std::string OneProcess() {
    return "env OPENBLAS_NUM_THREADS=1 " + ShellQuote(FRUITS_BINARY);
  }
  static testing::FileOf In(const std::string& folder) {
    return [folder](const std::string& name) { return folder + "/" + name; };
  }
};

TEST_F(MpiClassify, RunWithTestOnTwoProcessesGivesTheOneProcessClassifierAndMetrics) {
  TempDir out;
  auto one = RunCommand(OneProcess() + " " + RunWithTest(out.File("one")));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto two = RunCommand(MpiRun(2) + " " + RunWithTest(out.File("two")));
  ASSERT_EQ(two.exit_code, 0) << two.err;
  testing::ExpectSameClassifier(out.File("one/classifier"), In(out.File("two/classifier")));
  EXPECT_EQ(
      testing::ExpectSameEvaluation(out.File("one/evaluation"), In(out.File("two/evaluation"))), 3);
  EXPECT_EQ(Files(out.File("two/evaluation/predictions")),
            Files(out.File("one/evaluation/predictions")));
  nlohmann::json manifest = ReadJson(out.File("two/manifest.json"));
  EXPECT_EQ(manifest["settings"]["processes"], 2);
  EXPECT_EQ(manifest["status"], "complete");
  // Rank 0 wrote the report, of the whole job.
  const nlohmann::json report = testing::EmbeddedReportData(ReadFile(out.File("two/report.html")));
  EXPECT_EQ(report["manifest"], manifest);
  EXPECT_EQ(report["cost"]["instances"], 1);
  EXPECT_EQ(report["cost"]["instances_source"], "the hosts the run's processes ran on");
  EXPECT_EQ(manifest["classifier"]["k"], 8);
  EXPECT_EQ(manifest["evaluation"]["rows"], 12);
}

TEST_F(MpiClassify, TrainAndEvaluateOnTwoProcessesGiveTheOneProcessResults) {
  TempDir out;
  auto run = testing::Fruits(RunWithTest(out.File("run")));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string train = "train --features " + ShellQuote(out.File("run/features")) +
                            " --k auto --holdout 0.25 --threads 1 -q -o ";
  const std::string evaluate =
      "evaluate --features " + ShellQuote(out.File("run/test/features")) + " -q --classifier ";
  for (const std::string where : {"one", "two"}) {
    const std::string launch = where == "one" ? OneProcess() : MpiRun(2);
    auto trained = RunCommand(launch + " " + train + ShellQuote(out.File(where + "/clf")));
    ASSERT_EQ(trained.exit_code, 0) << where << trained.err;
    auto evaluated = RunCommand(launch + " " + evaluate + ShellQuote(out.File(where + "/clf")) +
                                " -o " + ShellQuote(out.File(where + "/eval")));
    ASSERT_EQ(evaluated.exit_code, 0) << where << evaluated.err;
  }
  testing::ExpectSameClassifier(out.File("one/clf"), In(out.File("two/clf")));
  EXPECT_EQ(testing::ExpectSameEvaluation(out.File("one/eval"), In(out.File("two/eval"))), 3);
  EXPECT_EQ(ReadJson(out.File("two/clf/model.json"))["validation"]["rows"], 9);
}

// A classifier of 1280 features on features of another size: the process that takes a part
// fails, and the job ends (no process left waiting for the others) with the reason.
TEST_F(MpiClassify, AClassifierOfAnotherDimensionEndsTheJobClearly) {
  TempDir out;
  auto run = testing::Fruits(RunWithTest(out.File("run")));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // The logits: 1000 floats per image.
  auto other = testing::Fruits("extract --input " + ShellQuote(Data() + "/Test") + " --model " +
                               ShellQuote(Model()) + " --feature-layer logits" +
                               " --shard-size 5 -q -o " + ShellQuote(out.File("other")));
  ASSERT_EQ(other.exit_code, 0) << other.err;
  // `timeout`: a hang fails the test instead of holding ctest until its own limit.
  auto r =
      RunCommand("timeout 300 " + MpiRun(2) + " evaluate --classifier " +
                 ShellQuote(out.File("run/classifier")) + " --features " +
                 ShellQuote(out.File("other/features")) + " -o " + ShellQuote(out.File("eval")));
  EXPECT_NE(r.exit_code, 124) << "the job hung";
  EXPECT_NE(r.exit_code, 0);
  ExpectContains(r.err, "holds 1000 features per row, the classifier takes 1280");
  EXPECT_FALSE(fs::exists(out.File("eval/metrics.json")));
}

}  // namespace
}  // namespace fruits
