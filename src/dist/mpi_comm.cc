#include "dist/mpi_comm.h"

#include <mpi.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "dist/local_comm.h"
#include "util/error.h"

namespace fruits::dist {

namespace {

constexpr int64_t kRequest = 0;
constexpr int64_t kFinished = 1;
constexpr int64_t kNoMoreTasks = -1;
// How long rank 0's dispatcher sleeps between looks for requests: a few per shard at most.
constexpr std::chrono::microseconds kPollInterval(200);

// Rank 0 holds the counter and answers the other ranks from its dispatcher thread; it takes
// its own tasks from the counter directly.
class MpiTaskQueue : public TaskQueue {
 public:
  MpiTaskQueue(int64_t count, int rank, int size, int tag)
      : count_(count), rank_(rank), size_(size), tag_(tag) {
    if (rank_ == 0 && size_ > 1) dispatcher_ = std::thread([this] { Dispatch(); });
  }
  ~MpiTaskQueue() override {
    // Only an error path leaves the dispatcher running (Finish() was not reached): stop it before
    // the members it reads go away. Ranks still asking get no answer; the failing rank's Abort()
    // ends them.
    stopping_ = true;
    if (dispatcher_.joinable()) dispatcher_.join();
  }

  std::optional<int64_t> Next() override {
    int64_t task = kNoMoreTasks;
    if (rank_ == 0) {
      task = Take();
    } else {
      MPI_Send(&kRequest, 1, MPI_INT64_T, 0, tag_, MPI_COMM_WORLD);
      MPI_Recv(&task, 1, MPI_INT64_T, 0, tag_, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
    if (task == kNoMoreTasks) return std::nullopt;
    return task;
  }

  void Finish() override {
    if (rank_ == 0) {
      if (dispatcher_.joinable()) dispatcher_.join();
    } else {
      MPI_Send(&kFinished, 1, MPI_INT64_T, 0, tag_, MPI_COMM_WORLD);
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }

 private:
  int64_t Take() {
    std::lock_guard lock(mutex_);
    return next_ < count_ ? next_++ : kNoMoreTasks;
  }

  void Dispatch() {
    for (int finished = 0; finished < size_ - 1 && !stopping_;) {
      // A blocking receive would spin on a core rank 0's own workers need: poll, then sleep.
      int arrived = 0;
      MPI_Status status;
      MPI_Iprobe(MPI_ANY_SOURCE, tag_, MPI_COMM_WORLD, &arrived, &status);
      if (!arrived) {
        std::this_thread::sleep_for(kPollInterval);
        continue;
      }
      int64_t message = 0;
      MPI_Recv(&message, 1, MPI_INT64_T, status.MPI_SOURCE, tag_, MPI_COMM_WORLD, &status);
      if (message == kFinished) {
        ++finished;
        continue;
      }
      const int64_t task = Take();
      MPI_Send(&task, 1, MPI_INT64_T, status.MPI_SOURCE, tag_, MPI_COMM_WORLD);
    }
  }

  const int64_t count_;
  const int rank_;
  const int size_;
  const int tag_;
  std::mutex mutex_;
  int64_t next_ = 0;
  std::atomic<bool> stopping_ = false;
  std::thread dispatcher_;
};

// MPI counts are ints: large buffers go in pieces.
constexpr size_t kChunk = INT_MAX / 2;

}  // namespace

MpiComm::MpiComm(int* argc, char*** argv) {
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) {
    throw Error("MPI failed to start");
  }
  if (provided < MPI_THREAD_MULTIPLE) {
    MPI_Finalize();
    throw Error("this MPI library lacks MPI_THREAD_MULTIPLE, which fruits needs under mpirun");
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiComm::~MpiComm() { MPI_Finalize(); }

void MpiComm::Broadcast(std::string& bytes) {
  uint64_t size = bytes.size();
  MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  bytes.resize(size);
  for (size_t at = 0; at < size; at += kChunk) {
    MPI_Bcast(bytes.data() + at, static_cast<int>(std::min(kChunk, size - at)), MPI_BYTE, 0,
              MPI_COMM_WORLD);
  }
}

void MpiComm::AllReduceSum(std::vector<double>& values) {
  MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM,
                MPI_COMM_WORLD);
}

std::vector<std::string> MpiComm::Gather(const std::string& bytes) {
  // One rank's bytes at a time from rank 0's side: sizes are unbounded (moments of large d).
  std::vector<std::string> gathered;
  if (rank_ == 0) gathered.push_back(bytes);
  for (int source = 1; source < size_; ++source) {
    std::string piece = rank_ == source ? bytes : std::string();
    if (rank_ == 0 || rank_ == source) {
      uint64_t size = piece.size();
      if (rank_ == source) {
        MPI_Send(&size, 1, MPI_UINT64_T, 0, 1, MPI_COMM_WORLD);
      } else {
        MPI_Recv(&size, 1, MPI_UINT64_T, source, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        piece.resize(size);
      }
      for (size_t at = 0; at < size; at += kChunk) {
        const int n = static_cast<int>(std::min(kChunk, size - at));
        if (rank_ == source) {
          MPI_Send(piece.data() + at, n, MPI_BYTE, 0, 2, MPI_COMM_WORLD);
        } else {
          MPI_Recv(piece.data() + at, n, MPI_BYTE, source, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        }
      }
      if (rank_ == 0) gathered.push_back(std::move(piece));
    }
  }
  return gathered;
}

void MpiComm::Barrier() { MPI_Barrier(MPI_COMM_WORLD); }

std::unique_ptr<TaskQueue> MpiComm::NewTaskQueue(int64_t count) {
  return std::make_unique<MpiTaskQueue>(count, rank_, size_, next_tag_++);
}

void MpiComm::Abort(int exit_code) {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::exit(exit_code);
}

std::unique_ptr<Communicator> ConnectProcesses(int* argc, char*** argv) {
  // Set by OpenMPI's mpirun, by PMIx launchers (srun --mpi=pmix) and by PMI-1/2 launchers.
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"}) {
    if (std::getenv(variable) != nullptr) return std::make_unique<MpiComm>(argc, argv);
  }
  return std::make_unique<LocalComm>();
}

}  // namespace fruits::dist
