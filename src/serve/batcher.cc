#include "serve/batcher.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "util/error.h"

namespace fruits::serve {

Batcher::Batcher(const BatcherOptions& options, Engine engine)
    : options_(options),
      engine_(std::move(engine)),
      image_floats_(model::Tensor::ElementCount(options.image_shape)) {
  workers_.reserve(static_cast<size_t>(options_.workers));
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { Work(); });
}

Batcher::~Batcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_cv_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

Result<std::future<std::vector<float>>> Batcher::Submit(std::vector<float> pixels) {
  if (pixels.size() != image_floats_) {
    throw InternalError("Batcher::Submit: " + std::to_string(pixels.size()) +
                        " floats for an image of " + std::to_string(image_floats_));
  }
  Request request{std::move(pixels), {}};
  std::future<std::vector<float>> future = request.result.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return Result<std::future<std::vector<float>>>::Failure("the server is shutting down");
    }
    if (static_cast<int64_t>(queue_.size()) >= options_.queue_capacity) {
      return Result<std::future<std::vector<float>>>::Failure(
          "the server is busy: " + std::to_string(options_.queue_capacity) +
          " images are already waiting; retry later");
    }
    queue_.push_back(std::move(request));
  }
  queued_cv_.notify_all();
  return future;
}

int64_t Batcher::queued() const {
  std::lock_guard lock(mutex_);
  return static_cast<int64_t>(queue_.size());
}

void Batcher::Work() {
  const auto batch_size = static_cast<size_t>(options_.batch_size);
  std::vector<Request> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      queued_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      // A lone request waits a little for company: one run of n images costs far less than n
      // runs of one.
      if (queue_.size() < batch_size && !stopping_ && options_.window.count() > 0) {
        queued_cv_.wait_for(lock, options_.window,
                            [&] { return stopping_ || queue_.size() >= batch_size; });
      }
      // Another worker may have emptied the queue while this one waited.
      const size_t taken = std::min(batch_size, queue_.size());
      for (size_t i = 0; i < taken; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (!batch.empty()) Run(batch);
    batch.clear();
  }
}

void Batcher::Run(std::vector<Request>& batch) {
  std::vector<int64_t> shape{static_cast<int64_t>(batch.size())};
  shape.insert(shape.end(), options_.image_shape.begin(), options_.image_shape.end());
  try {
    model::Tensor input(shape);
    for (size_t i = 0; i < batch.size(); ++i) {
      std::copy(batch[i].pixels.begin(), batch[i].pixels.end(), input.data() + i * image_floats_);
      batch[i].pixels = {};
    }
    const model::Tensor output = engine_(input);
    if (output.shape().empty() || output.dim(0) != static_cast<int64_t>(batch.size())) {
      throw InternalError("the engine returned " + model::ShapeToString(output.shape()) + " for " +
                          std::to_string(batch.size()) + " images");
    }
    const size_t row = output.RowSize();
    for (size_t i = 0; i < batch.size(); ++i) {
      const float* begin = output.data() + i * row;
      batch[i].result.set_value(std::vector<float>(begin, begin + row));
    }
  } catch (...) {
    for (Request& request : batch) request.result.set_exception(std::current_exception());
  }
}

}  // namespace fruits::serve
