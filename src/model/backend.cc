#include "model/backend.h"

#include <algorithm>
#include <thread>

namespace fruits::model {

BackendOptions OneRunPerCore(BackendOptions options) {
  if (options.cores <= 0) {
    options.cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  }
  if (options.threads <= 0) {
    options.threads =
        options.concurrent_runs > 0 ? std::max(1, options.cores / options.concurrent_runs) : 1;
  }
  if (options.concurrent_runs <= 0) {
    options.concurrent_runs = std::max(1, options.cores / options.threads);
  }
  return options;
}

}  // namespace fruits::model
