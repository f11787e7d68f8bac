#include "storage/s3/s3_options.h"

#include "util/error.h"

namespace fruits::storage {

void ValidateS3Options(const S3Options& options) {
  if (options.sse != "AES256" && options.sse != "aws:kms" && options.sse != "none") {
    throw UsageError("--sse must be AES256 (SSE-S3, the default), aws:kms or none, not '" +
                     options.sse + "'");
  }
  if (!options.sse_kms_key_id.empty() && options.sse != "aws:kms") {
    throw UsageError("--sse-kms-key-id needs --sse aws:kms");
  }
  if (options.multipart_threshold < (uint64_t{5} << 20) ||
      options.multipart_threshold > (uint64_t{5} << 30)) {
    throw UsageError(
        "--s3-multipart-threshold must be 5 to 5120 MiB (S3's smallest part and largest PUT)");
  }
  if (options.max_retry_seconds <= 0) throw UsageError("--s3-max-retry-seconds must be positive");
  if (options.max_in_flight < 1) throw UsageError("at least one S3 request must be in flight");
  if (options.max_attempts < 1) throw UsageError("--s3-max-attempts must be at least 1");
  if (options.stall_timeout_seconds < 1) {
    throw UsageError("--s3-stall-timeout must be at least 1 second");
  }
  if (!options.endpoint.empty() && !options.endpoint.starts_with("http://") &&
      !options.endpoint.starts_with("https://")) {
    throw UsageError("the S3 endpoint '" + options.endpoint +
                     "' must be a URL starting with http:// or https://");
  }
}

}  // namespace fruits::storage
