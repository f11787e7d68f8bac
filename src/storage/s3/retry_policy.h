// When to try an S3 request again, and how long to wait first.
//
// Retried: no answer at all for a transient reason (refused, reset, cut mid-body, stalled, timed
// out; TransportFailure::kTransient), 5xx, 429, and 400/403 answers whose S3 error code is
// SlowDown (throttling) or RequestTimeout (an upload too slow). Not retried: a permanent transport
// failure, and every other answer (403, 404, 400...), which would only come back the same. Waits
// grow exponentially with full jitter (a random wait up to the bound), so many clients backing off
// at once spread out; attempts and total time are both bounded. Each RetryPolicy belongs to one
// request; not thread-safe. Holds `options` by reference: they must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "storage/s3/http_client.h"
#include "storage/s3/s3_options.h"

namespace fruits::storage {

class RetryPolicy {
 public:
  // A source of uniform random numbers in [0, 1): scales each wait within its bound.
  using UniformRandom = std::function<double()>;

  // Jitter from a pseudo-random generator seeded with `seed`.
  RetryPolicy(const S3Options& options, uint64_t seed);
  RetryPolicy(const S3Options& options, UniformRandom random);

  static bool IsRetryable(const HttpOutcome& outcome);

  // The seconds to wait before attempt `attempts_made + 1`: random() times the bound
  // min(backoff_cap, backoff_base * 2^(attempts_made - 1)). Nothing when the attempts would run
  // out, or when the time would (`elapsed_seconds` since the first attempt plus the wait passes
  // max_retry_seconds).
  std::optional<double> NextWait(int attempts_made, double elapsed_seconds);

 private:
  const S3Options& options_;
  UniformRandom random_;
};

}  // namespace fruits::storage
