// Engine instances for concurrent callers: each call holds one instance of its own.
//
// Inference engines (an OpenCV network, XNNPACK runtimes) keep per-call buffers and are not safe
// to share between threads. The pool makes up to `max_instances`, lazily; a caller beyond that
// waits for one to be released. Thread-safe. Instances live as long as the pool.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace fruits::model {

template <typename Instance>
class InstancePool {
 public:
  InstancePool(size_t max_instances, std::function<std::unique_ptr<Instance>()> make)
      : max_instances_(std::max<size_t>(1, max_instances)), make_(std::move(make)) {}
  InstancePool(const InstancePool&) = delete;
  InstancePool& operator=(const InstancePool&) = delete;

  // Runs work(instance) with an instance held for the call, and returns what it returns.
  template <typename Work>
  auto With(Work&& work) {
    Instance* instance = Acquire();
    try {
      auto result = work(*instance);
      Release(instance);
      return result;
    } catch (...) {
      Release(instance);
      throw;
    }
  }

 private:
  Instance* Acquire() {
    std::unique_lock lock(mutex_);
    if (idle_.empty() && instances_.size() + reserved_ < max_instances_) {
      // Made outside the lock: building an engine instance can take a while.
      ++reserved_;
      lock.unlock();
      std::unique_ptr<Instance> instance;
      try {
        instance = make_();
      } catch (...) {
        lock.lock();
        --reserved_;
        throw;
      }
      lock.lock();
      --reserved_;
      instances_.push_back(std::move(instance));
      return instances_.back().get();
    }
    released_.wait(lock, [this] { return !idle_.empty(); });
    Instance* instance = idle_.back();
    idle_.pop_back();
    return instance;
  }

  void Release(Instance* instance) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(instance);
    }
    released_.notify_one();
  }

  const size_t max_instances_;
  const std::function<std::unique_ptr<Instance>()> make_;
  std::mutex mutex_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::vector<Instance*> idle_;
  size_t reserved_ = 0;
};

}  // namespace fruits::model
