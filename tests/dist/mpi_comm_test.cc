// MpiComm's collectives and task queue, on real MPI processes: ctest starts this binary under
// `mpirun -np 2` (tests/CMakeLists.txt); every rank runs every test, in the same order.

#include "dist/mpi_comm.h"

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "util/byte_codec.h"

namespace fruits::dist {
namespace {

MpiComm* comm = nullptr;

TEST(MpiComm, BroadcastAndGatherCarryEveryByte) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{1000}, size_t{3} << 20}) {
    std::string bytes;
    if (comm->is_root()) {
      bytes.resize(size);
      for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i * 7 + 3);
    }
    comm->Broadcast(bytes);
    ASSERT_EQ(bytes.size(), size);
    for (size_t i = 0; i < size; ++i) ASSERT_EQ(bytes[i], static_cast<char>(i * 7 + 3));

    const std::string mine(size / (comm->rank() + 1), static_cast<char>('a' + comm->rank()));
    std::vector<std::string> gathered = comm->Gather(mine);
    if (comm->is_root()) {
      ASSERT_EQ(gathered.size(), static_cast<size_t>(comm->size()));
      for (int r = 0; r < comm->size(); ++r) {
        EXPECT_EQ(gathered[r], std::string(size / (r + 1), static_cast<char>('a' + r)));
      }
    } else {
      EXPECT_TRUE(gathered.empty());
    }
  }
}

TEST(MpiComm, AllReduceSumsOverRanks) {
  std::vector<double> values = {1.0, static_cast<double>(comm->rank()), 0.5};
  comm->AllReduceSum(values);
  const int n = comm->size();
  EXPECT_EQ(values, (std::vector<double>{1.0 * n, n * (n - 1) / 2.0, 0.5 * n}));
}

TEST(MpiTaskQueue, HandsOutEveryTaskExactlyOnce) {
  constexpr int64_t kTasks = 200;
  std::unique_ptr<TaskQueue> queue = comm->NewTaskQueue(kTasks);
  std::vector<int64_t> taken;
  while (std::optional<int64_t> task = queue->Next()) taken.push_back(*task);
  queue->Finish();

  std::string bytes;
  for (int64_t task : taken) AppendU64(bytes, static_cast<uint64_t>(task));
  std::vector<std::string> gathered = comm->Gather(bytes);
  if (!comm->is_root()) return;
  std::vector<int64_t> all;
  for (const std::string& piece : gathered) {
    ByteReader reader(piece, "tasks");
    while (!reader.done()) all.push_back(static_cast<int64_t>(reader.U64()));
  }
  std::sort(all.begin(), all.end());
  std::vector<int64_t> expected(kTasks);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(all, expected);
}

// The error path: rank 0 fails with its queue open (Finish() never called) and the queue is
// destroyed while another rank still asks for tasks. Rank 0's dispatcher thread must be gone
// before the queue's memory is: the sanitizer build reports any later use of it. To end the
// test cleanly, rank 0 then answers the pending request itself, as the dispatcher would have.
TEST(MpiTaskQueue, ADestroyedQueueNoLongerServesRequests) {
  constexpr int64_t kNoMoreTasks = -1;
  std::unique_ptr<TaskQueue> queue = comm->NewTaskQueue(10);
  if (comm->is_root()) {
    queue.reset();
    comm->Barrier();  // rank 1 asks once the queue is gone
    // Give a dispatcher that outlived its queue the time to take the request (and so touch the
    // freed queue); a correct queue leaves the request to us whatever the timing.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    int64_t request = 0;
    MPI_Status status;
    MPI_Recv(&request, 1, MPI_INT64_T, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
    EXPECT_EQ(request, 0) << "a task request";
    MPI_Send(&kNoMoreTasks, 1, MPI_INT64_T, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD);
  } else {
    comm->Barrier();
    if (comm->rank() == 1) {
      EXPECT_EQ(queue->Next(), std::nullopt);
    }
  }
  comm->Barrier();
}

}  // namespace
}  // namespace fruits::dist

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  fruits::dist::MpiComm mpi(&argc, &argv);
  fruits::dist::comm = &mpi;
  // Only rank 0 prints; every rank's failures still set the exit status mpirun reports.
  if (!mpi.is_root()) {
    delete testing::UnitTest::GetInstance()->listeners().Release(
        testing::UnitTest::GetInstance()->listeners().default_result_printer());
  }
  return RUN_ALL_TESTS();
}
