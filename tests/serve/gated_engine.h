// A fake engine for the batcher and the server: records the batches it gets and, while closed,
// holds every call until the test opens it, so tests decide what is queued when.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "model/tensor.h"

namespace fruits::testing {

// Waits until `done()` holds; a bound only so that a broken test fails instead of hanging.
inline bool WaitUntil(const std::function<bool()>& done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

class GatedEngine {
 public:
  explicit GatedEngine(bool open = false) : open_(open) {}

  // Each image's row: `outputs` values, value j = first pixel + j (so a test can tell whose row
  // it got).
  model::Tensor operator()(const model::Tensor& batch) {
    std::unique_lock lock(mutex_);
    sizes_.push_back(batch.dim(0));
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    model::Tensor out({batch.dim(0), outputs_});
    for (int64_t i = 0; i < batch.dim(0); ++i) {
      for (int64_t j = 0; j < outputs_; ++j)
        out.row(i)[j] = batch.row(i)[0] + static_cast<float>(j);
    }
    return out;
  }

  void set_outputs(int64_t outputs) { outputs_ = outputs; }
  void Open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  // Waits until `calls` calls have started (bounded: false when they never do).
  bool WaitForCalls(size_t calls) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(60),
                             [&] { return sizes_.size() >= calls; });
  }
  std::vector<int64_t> sizes() {
    std::lock_guard lock(mutex_);
    return sizes_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_;
  int64_t outputs_ = 2;
  std::vector<int64_t> sizes_;
};

}  // namespace fruits::testing
