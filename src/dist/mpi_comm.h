// The Communicator over OpenMPI, for runs started with mpirun (or srun).
//
// MPI is initialised with MPI_THREAD_MULTIPLE because rank 0 serves task requests from a
// thread of its own (the task dispatcher) while its pipeline works: other ranks get their next
// shard at once instead of waiting for rank 0 to finish a batch. That thread lives only while a
// TaskQueue is open. MPI is finalised when the MpiComm is destroyed.
#pragma once

#include "dist/communicator.h"

namespace fruits::dist {

class MpiComm : public Communicator {
 public:
  // Throws fruits::Error when MPI cannot start or lacks thread support.
  MpiComm(int* argc, char*** argv);
  ~MpiComm() override;
  MpiComm(const MpiComm&) = delete;
  MpiComm& operator=(const MpiComm&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void Broadcast(std::string& bytes) override;
  void AllReduceSum(std::vector<double>& values) override;
  std::vector<std::string> Gather(const std::string& bytes) override;
  void Barrier() override;
  std::unique_ptr<TaskQueue> NewTaskQueue(int64_t count) override;
  [[noreturn]] void Abort(int exit_code) override;

 private:
  int rank_ = 0;
  int size_ = 1;
  // Each queue talks on a tag of its own, so successive queues never take each other's messages.
  int next_tag_ = 1000;
};

}  // namespace fruits::dist
