#include "storage/s3/retry_policy.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string_view>
#include <utility>

#include "storage/s3/s3_error.h"

namespace fruits::storage {
namespace {

// S3 answers an upload that was too slow with 400 RequestTimeout, and some gateways throttle
// with these codes under a 4xx status.
bool IsTransientS3Code(std::string_view code) {
  return code == "RequestTimeout" || code == "SlowDown";
}

}  // namespace

RetryPolicy::RetryPolicy(const S3Options& options, uint64_t seed)
    : RetryPolicy(options, [generator = std::mt19937_64(seed)]() mutable {
        return std::uniform_real_distribution<double>(0, 1)(generator);
      }) {}

RetryPolicy::RetryPolicy(const S3Options& options, UniformRandom random)
    : options_(options), random_(std::move(random)) {}

bool RetryPolicy::IsRetryable(const HttpOutcome& outcome) {
  if (!outcome.ok()) return outcome.failure_kind() == TransportFailure::kTransient;
  const HttpResponse& response = outcome.value();
  if (response.status >= 500 || response.status == 429) return true;
  if (response.status == 400 || response.status == 403) {
    return IsTransientS3Code(S3ErrorCode(response));
  }
  return false;
}

std::optional<double> RetryPolicy::NextWait(int attempts_made, double elapsed_seconds) {
  if (attempts_made >= options_.max_attempts) return std::nullopt;
  double bound = std::min(options_.backoff_cap_seconds,
                          options_.backoff_base_seconds * std::ldexp(1.0, attempts_made - 1));
  double wait = random_() * bound;
  if (elapsed_seconds + wait > options_.max_retry_seconds) return std::nullopt;
  return wait;
}

}  // namespace fruits::storage
