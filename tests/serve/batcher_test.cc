#include "serve/batcher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <vector>

#include "serve/gated_engine.h"

namespace fruits::serve {
namespace {

using testing::GatedEngine;

constexpr int64_t kImageFloats = 4;

BatcherOptions Options(int64_t batch_size, int64_t queue, int workers,
                       std::chrono::microseconds window = std::chrono::microseconds(0)) {
  return {.image_shape = {2, 2, 1},
          .batch_size = batch_size,
          .queue_capacity = queue,
          .workers = workers,
          .window = window};
}

std::vector<float> Image(float first) {
  std::vector<float> pixels(kImageFloats, 0.0f);
  pixels[0] = first;
  return pixels;
}

std::future<std::vector<float>> SubmitOk(Batcher& batcher, float first) {
  Result<std::future<std::vector<float>>> submitted = batcher.Submit(Image(first));
  EXPECT_TRUE(submitted.ok()) << submitted.error();
  return std::move(submitted).value();
}

// Requests that queue while the only worker is busy form the next batches, each at most
// batch_size images, in arrival order.
TEST(BatcherTest, RequestsQueuedWhileTheWorkerIsBusyFormFullBatches) {
  GatedEngine engine;
  std::vector<std::future<std::vector<float>>> results;
  {
    Batcher batcher(Options(3, 100, 1), [&](const model::Tensor& t) { return engine(t); });
    results.push_back(SubmitOk(batcher, 0));
    ASSERT_TRUE(engine.WaitForCalls(1));
    for (int i = 1; i <= 7; ++i) results.push_back(SubmitOk(batcher, static_cast<float>(i)));
    EXPECT_EQ(batcher.queued(), 7);
    engine.Open();
    for (size_t i = 0; i < results.size(); ++i) {
      EXPECT_EQ(results[i].get(), (std::vector<float>{static_cast<float>(i), i + 1.0f}));
    }
  }
  EXPECT_EQ(engine.sizes(), (std::vector<int64_t>{1, 3, 3, 1}));
}

// A worker that finds fewer images than a batch waits (here without a time limit that matters)
// until the batch is full.
TEST(BatcherTest, AWorkerWaitsForCompanyWithinTheWindow) {
  GatedEngine engine(/*open=*/true);
  Batcher batcher(Options(3, 100, 1, std::chrono::hours(1)),
                  [&](const model::Tensor& t) { return engine(t); });
  std::vector<std::future<std::vector<float>>> results;
  for (int i = 0; i < 3; ++i) results.push_back(SubmitOk(batcher, static_cast<float>(i)));
  for (auto& result : results) result.get();
  EXPECT_EQ(engine.sizes(), (std::vector<int64_t>{3}));
}

// Stopping does not wait out the window: what is queued runs, then the workers end.
TEST(BatcherTest, DestructionRunsWhatIsQueued) {
  GatedEngine engine(/*open=*/true);
  std::future<std::vector<float>> result;
  {
    Batcher batcher(Options(8, 100, 1, std::chrono::hours(1)),
                    [&](const model::Tensor& t) { return engine(t); });
    result = SubmitOk(batcher, 5);
  }
  EXPECT_EQ(result.get(), (std::vector<float>{5, 6}));
  EXPECT_EQ(engine.sizes(), (std::vector<int64_t>{1}));
}

TEST(BatcherTest, AFullQueueRefusesAtOnce) {
  GatedEngine engine;
  Batcher batcher(Options(1, 2, 1), [&](const model::Tensor& t) { return engine(t); });
  std::future<std::vector<float>> running = SubmitOk(batcher, 1);
  ASSERT_TRUE(engine.WaitForCalls(1));
  std::future<std::vector<float>> second = SubmitOk(batcher, 2);
  std::future<std::vector<float>> third = SubmitOk(batcher, 3);
  const Result<std::future<std::vector<float>>> refused = batcher.Submit(Image(4));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("busy"), std::string::npos) << refused.error();
  engine.Open();
  EXPECT_EQ(running.get()[0], 1);
  EXPECT_EQ(second.get()[0], 2);
  EXPECT_EQ(third.get()[0], 3);
  // Room again once the queue drained.
  EXPECT_EQ(SubmitOk(batcher, 9).get()[0], 9);
}

// Several workers, batches of mixed sizes: every request gets its own row.
TEST(BatcherTest, EveryRequestGetsItsOwnRow) {
  GatedEngine engine(/*open=*/true);
  Batcher batcher(Options(4, 1000, 3), [&](const model::Tensor& t) { return engine(t); });
  std::vector<std::future<std::vector<float>>> results;
  for (int i = 0; i < 200; ++i) results.push_back(SubmitOk(batcher, static_cast<float>(i)));
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(results[static_cast<size_t>(i)].get(),
              (std::vector<float>{static_cast<float>(i), i + 1.0f}));
  }
  for (int64_t size : engine.sizes()) EXPECT_LE(size, 4);
}

// An engine failure reaches the requests of that batch; the batcher goes on serving.
TEST(BatcherTest, AnEngineFailureReachesItsRequestsOnly) {
  int calls = 0;
  Batcher batcher(Options(1, 10, 1), [&](const model::Tensor& t) {
    if (++calls == 1) throw std::runtime_error("engine broke");
    model::Tensor out({t.dim(0), 1});
    out.data()[0] = 7;
    return out;
  });
  std::future<std::vector<float>> failed = SubmitOk(batcher, 0);
  EXPECT_THROW(failed.get(), std::runtime_error);
  EXPECT_EQ(SubmitOk(batcher, 0).get(), (std::vector<float>{7}));
}

}  // namespace
}  // namespace fruits::serve
