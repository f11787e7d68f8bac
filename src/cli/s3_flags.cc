#include "cli/s3_flags.h"

#include <algorithm>
#include <cstdlib>

#ifdef FRUITS_WITH_S3
#include "storage/s3/s3_store.h"
#endif

namespace fruits::cli {

void AddS3Flags(CLI::App& cmd, storage::S3Options& options) {
  const std::string group = "S3 (for s3://bucket/key paths)";
  cmd.add_option("--s3-endpoint", options.endpoint,
                 "S3-compatible endpoint URL (MinIO, Ceph...), path-style; default: "
                 "AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS's endpoint of the region")
      ->group(group);
  cmd.add_option("--s3-region", options.region,
                 "Region; default: AWS_REGION, AWS_DEFAULT_REGION, the profile's, else eu-west-3")
      ->group(group);
  cmd.add_flag("--no-sign-request", options.anonymous,
               "Read public buckets without credentials (requests are not signed)")
      ->group(group);
  cmd.add_option("--sse", options.sse,
                 "Server-side encryption of written objects: AES256 (SSE-S3), aws:kms or none")
      ->default_str(options.sse)
      ->group(group);
  cmd.add_option("--sse-kms-key-id", options.sse_kms_key_id,
                 "KMS key for --sse aws:kms (default: the account's aws/s3 key)")
      ->group(group);
  cmd.add_option_function<uint64_t>(
         "--s3-multipart-threshold",
         [&options](uint64_t mib) {
           // Past 5120 MiB the value is refused anyway: keep the shift from overflowing.
           options.multipart_threshold = std::min<uint64_t>(mib, uint64_t{1} << 20) << 20;
         },
         "Objects above this many MiB are uploaded in parts of this size (default 64, min 5)")
      ->group(group);
  cmd.add_option("--s3-max-attempts", options.max_attempts,
                 "Attempts per request on 5xx, throttling, resets and stalls")
      ->default_str(std::to_string(options.max_attempts))
      ->group(group);
  cmd.add_option("--s3-max-retry-seconds", options.max_retry_seconds,
                 "Time all attempts of one request may take")
      ->default_str(std::to_string(static_cast<int>(options.max_retry_seconds)))
      ->group(group);
  cmd.add_option("--s3-stall-timeout", options.stall_timeout_seconds,
                 "Seconds without a byte before a transfer is abandoned and retried")
      ->default_str(std::to_string(static_cast<int>(options.stall_timeout_seconds)))
      ->group(group);
}

std::unique_ptr<storage::StoreRegistry> OpenStores(storage::S3Options options) {
  auto stores = std::make_unique<storage::StoreRegistry>();
#ifdef FRUITS_WITH_S3
  for (const char* variable : {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}) {
    const char* value = std::getenv(variable);
    if (options.endpoint.empty() && value != nullptr) options.endpoint = value;
  }
  storage::RegisterS3Store(*stores, std::move(options));
#else
  // Without S3 the flags are accepted and unused; an s3:// path is refused by the registry.
  (void)options;
#endif
  return stores;
}

}  // namespace fruits::cli
