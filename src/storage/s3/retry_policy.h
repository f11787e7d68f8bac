// When to try an S3 request again, and how long to wait first.
//
// Retried: no answer at all (refused, reset, cut mid-body, stalled, timed out), 5xx, 429 and
// S3's throttling and timeout codes. Not retried: every other answer (403, 404, 400...), which
// would only come back the same. Waits grow exponentially with full jitter (a random wait up to
// the bound), so many clients backing off at once spread out; attempts and total time are both
// bounded. Each RetryPolicy belongs to one request; not thread-safe.
#pragma once

#include <optional>
#include <random>

#include "storage/s3/http_client.h"
#include "storage/s3/s3_options.h"

namespace fruits::storage {

class RetryPolicy {
 public:
  RetryPolicy(const S3Options& options, uint64_t seed);

  static bool IsRetryable(const Result<HttpResponse>& outcome);

  // The seconds to wait before attempt `attempts_made + 1`, or nothing when the attempts or the
  // time (`elapsed_seconds` since the first attempt, plus the wait) would run out.
  std::optional<double> NextWait(int attempts_made, double elapsed_seconds);

 private:
  const S3Options& options_;
  std::mt19937_64 random_;
};

}  // namespace fruits::storage
