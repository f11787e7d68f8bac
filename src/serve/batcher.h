// Groups single-image classification requests into engine batches: a bounded queue and a fixed
// set of engine workers.
//
// HTTP handler threads Submit() one preprocessed image each and wait on the returned future; each
// of `workers` threads takes up to `batch_size` waiting images, waiting at most `window` for more
// when fewer are queued, runs the engine once on them, and hands every request its own row of
// the result. Throughput grows with load: under load batches fill, alone a request waits at most
// the window. Submit() never blocks: with `queue_capacity` images already waiting it fails at
// once (the server answers 503), so memory in flight is bounded.
//
// Thread-safe. The engine is called from the worker threads, up to `workers` calls at once. An
// exception from the engine reaches every request of that batch through its future; the worker
// goes on. The destructor runs what is still queued, then joins the workers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "model/tensor.h"
#include "util/result.h"

namespace fruits::serve {

struct BatcherOptions {
  // One image's shape without the batch dimension, e.g. {height, width, 3}.
  std::vector<int64_t> image_shape;
  // The most images one engine run takes (>= 1).
  int64_t batch_size = 16;
  // The most images waiting for a worker (>= 1); more are refused.
  int64_t queue_capacity = 64;
  // Engine workers (>= 1).
  int workers = 1;
  // How long a worker that found fewer than batch_size images waits for more.
  std::chrono::microseconds window{2000};
};

class Batcher {
 public:
  // Runs the engine on [n, image_shape...] and returns [n, outputs...].
  using Engine = std::function<model::Tensor(const model::Tensor& batch)>;

  // Starts the workers. REQUIRES: the options' fields in the ranges stated there.
  Batcher(const BatcherOptions& options, Engine engine);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues one image (the floats of image_shape) and returns the future of its row of the
  // engine's output, or a failure saying the queue is full (or the batcher is stopping).
  // REQUIRES: pixels.size() == the element count of image_shape.
  Result<std::future<std::vector<float>>> Submit(std::vector<float> pixels);

  // Images waiting for a worker now.
  int64_t queued() const;

 private:
  struct Request {
    std::vector<float> pixels;
    std::promise<std::vector<float>> result;
  };

  void Work();
  // Runs one batch and fulfils its promises.
  void Run(std::vector<Request>& batch);

  const BatcherOptions options_;
  const Engine engine_;
  const size_t image_floats_;
  mutable std::mutex mutex_;
  std::condition_variable queued_cv_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace fruits::serve
