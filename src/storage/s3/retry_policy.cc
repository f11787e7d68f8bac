#include "storage/s3/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace fruits::storage {

RetryPolicy::RetryPolicy(const S3Options& options, uint64_t seed)
    : options_(options), random_(seed) {}

bool RetryPolicy::IsRetryable(const Result<HttpResponse>& outcome) {
  if (!outcome.ok()) return !HttpClient::IsPermanentFailure(outcome.error());
  const HttpResponse& response = outcome.value();
  if (response.status >= 500 || response.status == 429) return true;
  if (response.status == 400 || response.status == 403) {
    // S3 answers an upload that was too slow with 400 RequestTimeout, and some gateways
    // throttle with SlowDown under a 4xx status.
    for (const char* code : {"<Code>RequestTimeout</Code>", "<Code>SlowDown</Code>"}) {
      if (response.body.find(code) != std::string::npos) return true;
    }
  }
  return false;
}

std::optional<double> RetryPolicy::NextWait(int attempts_made, double elapsed_seconds) {
  if (attempts_made >= options_.max_attempts) return std::nullopt;
  double bound = std::min(options_.backoff_cap_seconds,
                          options_.backoff_base_seconds * std::ldexp(1.0, attempts_made - 1));
  double wait = std::uniform_real_distribution<double>(0, bound)(random_);
  if (elapsed_seconds + wait > options_.max_retry_seconds) return std::nullopt;
  return wait;
}

}  // namespace fruits::storage
