// Which answers are retried, and that waits stay within their bounds in count and time.
#include "storage/s3/retry_policy.h"

#include <gtest/gtest.h>

namespace fruits::storage {
namespace {

Result<HttpResponse> Status(long status, const std::string& body = "") {
  HttpResponse response;
  response.status = status;
  response.body = body;
  return response;
}

TEST(RetryPolicyTest, RetriesTransientAnswersOnly) {
  for (long status : {500, 502, 503, 504, 429}) {
    EXPECT_TRUE(RetryPolicy::IsRetryable(Status(status))) << status;
  }
  EXPECT_TRUE(RetryPolicy::IsRetryable(Status(400, "<Error><Code>RequestTimeout</Code></Error>")));
  EXPECT_TRUE(RetryPolicy::IsRetryable(Result<HttpResponse>::Failure("Connection reset by peer")));
  for (long status : {200, 204, 206, 301, 400, 403, 404, 416}) {
    EXPECT_FALSE(RetryPolicy::IsRetryable(Status(status))) << status;
  }
  EXPECT_FALSE(RetryPolicy::IsRetryable(Status(403, "<Error><Code>AccessDenied</Code></Error>")));
}

TEST(RetryPolicyTest, WaitsGrowWithJitterWithinTheBounds) {
  S3Options options;
  options.max_attempts = 6;
  options.backoff_base_seconds = 0.1;
  options.backoff_cap_seconds = 1;
  options.max_retry_seconds = 1000;
  RetryPolicy policy(options, 7);
  double bound = 0.1;
  for (int attempts = 1; attempts < options.max_attempts; ++attempts) {
    std::optional<double> wait = policy.NextWait(attempts, 0);
    ASSERT_TRUE(wait.has_value()) << attempts;
    EXPECT_GE(*wait, 0);
    EXPECT_LE(*wait, bound) << attempts;
    bound = std::min(2 * bound, options.backoff_cap_seconds);
  }
  EXPECT_FALSE(policy.NextWait(options.max_attempts, 0).has_value());
}

TEST(RetryPolicyTest, GivesUpWhenTheTimeWouldRunOut) {
  S3Options options;
  options.max_attempts = 100;
  options.backoff_base_seconds = 10;
  options.backoff_cap_seconds = 10;
  options.max_retry_seconds = 5;
  RetryPolicy policy(options, 1);
  int granted = 0;
  double elapsed = 0;
  while (std::optional<double> wait = policy.NextWait(granted + 1, elapsed)) {
    elapsed += *wait;
    ++granted;
    ASSERT_LT(granted, 100);
  }
  EXPECT_LE(elapsed, options.max_retry_seconds);
}

}  // namespace
}  // namespace fruits::storage
