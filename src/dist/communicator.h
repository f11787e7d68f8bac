// Processes working together on one run: who I am, and the few collective steps a run needs.
//
// LocalComm is the one-process case (fruits started without mpirun); MpiComm is OpenMPI. The
// pipeline has one code path for both. Collective calls (Broadcast, AllReduceSum, Gather,
// Barrier, NewTaskQueue) must be made by every rank in the same order. A rank that fails calls
// Abort(), which ends every rank of the job with that exit status.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fruits::dist {

// Hands out the task indices 0..count-1, each once, to whichever rank asks first, so faster
// processes take more. Next() and Finish() are called by one thread per rank.
class TaskQueue {
 public:
  virtual ~TaskQueue() = default;
  // The next task, or nullopt when none is left.
  virtual std::optional<int64_t> Next() = 0;
  // This rank asks for no more tasks (it may stop early, e.g. on Ctrl-C). Collective: returns
  // when every rank has finished.
  virtual void Finish() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  bool is_root() const { return rank() == 0; }

  // Rank 0's `bytes`, on every rank.
  virtual void Broadcast(std::string& bytes) = 0;
  // Element-wise sums over ranks, on every rank.
  virtual void AllReduceSum(std::vector<double>& values) = 0;
  // Every rank's `bytes`, in rank order, on rank 0; empty on the others.
  virtual std::vector<std::string> Gather(const std::string& bytes) = 0;
  virtual void Barrier() = 0;
  virtual std::unique_ptr<TaskQueue> NewTaskQueue(int64_t count) = 0;
  // Ends every process of the job at once with `exit_code`.
  [[noreturn]] virtual void Abort(int exit_code) = 0;
};

// MpiComm when this process was started by mpirun (or srun) with MPI support, LocalComm
// otherwise. Throws fruits::Error when MPI cannot start.
std::unique_ptr<Communicator> ConnectProcesses(int* argc, char*** argv);

}  // namespace fruits::dist
