// Which answers are retried, and how long RetryPolicy waits: the exact exponential bounds (with the
// random source pinned), full jitter inside them, and giving up exactly at the attempt and time
// limits.
#include "storage/s3/retry_policy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace fruits::storage {
namespace {

HttpOutcome Status(long status, const std::string& body = "") {
  HttpResponse response;
  response.status = status;
  response.body = body;
  return response;
}

S3Options Backoff(double base, double cap, int max_attempts, double max_retry_seconds) {
  S3Options options;
  options.backoff_base_seconds = base;
  options.backoff_cap_seconds = cap;
  options.max_attempts = max_attempts;
  options.max_retry_seconds = max_retry_seconds;
  return options;
}

// A random source that always gives `value`.
RetryPolicy::UniformRandom Always(double value) {
  return [value] { return value; };
}

TEST(RetryPolicyTest, RetriesTransientAnswersOnly) {
  for (long status : {500, 502, 503, 504, 429}) {
    EXPECT_TRUE(RetryPolicy::IsRetryable(Status(status))) << status;
  }
  EXPECT_TRUE(RetryPolicy::IsRetryable(Status(400, "<Error><Code>RequestTimeout</Code></Error>")));
  EXPECT_TRUE(RetryPolicy::IsRetryable(Status(403, "<Error><Code>SlowDown</Code></Error>")));
  EXPECT_TRUE(RetryPolicy::IsRetryable(HttpOutcome::Failure("Connection reset by peer")));
  for (long status : {200, 204, 206, 301, 400, 403, 404, 416}) {
    EXPECT_FALSE(RetryPolicy::IsRetryable(Status(status))) << status;
  }
  EXPECT_FALSE(RetryPolicy::IsRetryable(Status(403, "<Error><Code>AccessDenied</Code></Error>")));
  // The code is read from the XML, not found in the text: a message quoting it is not throttling.
  EXPECT_FALSE(RetryPolicy::IsRetryable(Status(
      403, "<Error><Code>AccessDenied</Code><Message><Code>SlowDown</Code></Message></Error>")));
}

TEST(RetryPolicyTest, PermanentTransportFailuresAreNotRetriedWhateverTheirText) {
  EXPECT_FALSE(RetryPolicy::IsRetryable(
      HttpOutcome::Failure("SSL certificate problem", TransportFailure::kPermanent)));
  // The kind decides, not the words: a transient failure is retried even if it reads permanent.
  EXPECT_TRUE(RetryPolicy::IsRetryable(
      HttpOutcome::Failure("cannot be retried: reset", TransportFailure::kTransient)));
}

TEST(RetryPolicyTest, TheBoundDoublesFromTheBaseUpToTheCap) {
  S3Options options = Backoff(0.1, 1, 8, 1000);
  // Just below 1: each wait is (almost) its bound.
  RetryPolicy policy(options, Always(std::nextafter(1.0, 0.0)));
  std::vector<double> expected = {0.1, 0.2, 0.4, 0.8, 1, 1, 1};
  for (int attempts = 1; attempts < options.max_attempts; ++attempts) {
    std::optional<double> wait = policy.NextWait(attempts, 0);
    ASSERT_TRUE(wait.has_value()) << "no retry after attempt " << attempts;
    EXPECT_NEAR(*wait, expected[attempts - 1], 1e-9) << attempts;
  }
}

TEST(RetryPolicyTest, EachWaitIsTheRandomFractionOfItsBound) {
  S3Options options = Backoff(0.1, 20, 10, 1000);
  for (double fraction : {0.0, 0.25, 0.5, 0.75}) {
    RetryPolicy policy(options, Always(fraction));
    for (int attempts = 1; attempts < 6; ++attempts) {
      std::optional<double> wait = policy.NextWait(attempts, 0);
      ASSERT_TRUE(wait.has_value()) << attempts;
      EXPECT_NEAR(*wait, fraction * 0.1 * std::ldexp(1.0, attempts - 1), 1e-12)
          << fraction << " " << attempts;
    }
  }
}

TEST(RetryPolicyTest, SeededJitterSpreadsOverTheWholeBound) {
  // Full jitter: the waits of many clients cover [0, bound], not a point, and not only its ends.
  S3Options options = Backoff(1, 1, 2, 1000);
  double low = 1, high = 0, sum = 0;
  constexpr int kClients = 2000;
  for (int seed = 0; seed < kClients; ++seed) {
    double wait = RetryPolicy(options, static_cast<uint64_t>(seed)).NextWait(1, 0).value();
    ASSERT_GE(wait, 0);
    ASSERT_LE(wait, 1);
    low = std::min(low, wait);
    high = std::max(high, wait);
    sum += wait;
  }
  EXPECT_LT(low, 0.01);
  EXPECT_GT(high, 0.99);
  EXPECT_NEAR(sum / kClients, 0.5, 0.03);  // uniform: mean 1/2 (standard error 0.0065)
}

TEST(RetryPolicyTest, GivesUpAfterTheLastAttempt) {
  S3Options options = Backoff(0.1, 1, 4, 1000);
  RetryPolicy policy(options, Always(0.5));
  EXPECT_TRUE(policy.NextWait(1, 0).has_value());
  EXPECT_TRUE(policy.NextWait(3, 0).has_value());
  EXPECT_FALSE(policy.NextWait(4, 0).has_value());
}

TEST(RetryPolicyTest, GivesUpExactlyWhenTheWaitWouldPassTheTimeBound) {
  // Bounds 1, 2, 4, 8, ...; with the random source at 1/2 the waits are 0.5, 1, 2, 4, ...
  S3Options options = Backoff(1, 1000, 100, 10);
  RetryPolicy policy(options, Always(0.5));
  // 0.5 + 1 + 2 + 4 = 7.5 s of waits, and then 8 more would end at 15.5 > 10.
  double elapsed = 0;
  int granted = 0;
  while (std::optional<double> wait = policy.NextWait(granted + 1, elapsed)) {
    elapsed += *wait;
    ++granted;
    ASSERT_LT(granted, 100);
  }
  EXPECT_EQ(granted, 4);
  EXPECT_DOUBLE_EQ(elapsed, 7.5);
  // At the boundary: a wait that ends exactly at the bound is granted, one past it is not.
  EXPECT_EQ(policy.NextWait(2, 9), 1.0);
  EXPECT_FALSE(policy.NextWait(2, 9.001).has_value());
}

}  // namespace
}  // namespace fruits::storage
