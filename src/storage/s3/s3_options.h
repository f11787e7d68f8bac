// How fruits talks to S3: endpoint, region, encryption, upload sizes and how hard to retry.
#pragma once

#include <cstdint>
#include <string>

namespace fruits::storage {

struct S3Options {
  // Base URL of an S3-compatible store (MinIO, Ceph, s3rver), addressed path-style. Empty: the
  // AWS endpoint of the region, virtual-hosted style. The CLI fills it from --s3-endpoint, else
  // AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL.
  std::string endpoint;
  // Empty: resolved as the AWS tools do (AWS_REGION, AWS_DEFAULT_REGION, the profile), else
  // eu-west-3, so data stays in the EU unless the user names another region.
  std::string region;
  // Send requests unsigned, without looking for credentials: public buckets (the AWS CLI's
  // --no-sign-request).
  bool anonymous = false;
  // Server-side encryption of what we write: "AES256" (SSE-S3), "aws:kms" or "none".
  std::string sse = "AES256";
  // The KMS key for "aws:kms"; empty: the account's default aws/s3 key.
  std::string sse_kms_key_id;
  // Objects larger than this are uploaded in parts of this size (at least 5 MiB, S3's minimum).
  uint64_t multipart_threshold = uint64_t{64} << 20;
  // Attempts per request (the first included) and the time all retries of one request may take.
  int max_attempts = 10;
  double max_retry_seconds = 120;
  // First backoff before the exponential growth; each wait is random in [0, the bound].
  double backoff_base_seconds = 0.1;
  double backoff_cap_seconds = 20;
  // A transfer moving no byte for this long is abandoned and retried.
  double stall_timeout_seconds = 30;
  // Requests in flight at once when reading many objects.
  int max_in_flight = 32;
};

// Throws fruits::UsageError saying which option is wrong and what is allowed.
void ValidateS3Options(const S3Options& options);

}  // namespace fruits::storage
