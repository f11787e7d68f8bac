// An s3://bucket/key URI taken apart, and the check that a URI names S3 at all.
#pragma once

#include <string>
#include <string_view>

namespace fruits::storage {

inline constexpr std::string_view kS3Scheme = "s3://";

inline bool IsS3Uri(std::string_view uri) { return uri.starts_with(kS3Scheme); }

struct S3Location {
  std::string bucket;
  // The object key, or a key prefix; "" for the whole bucket. Never starts with '/'.
  std::string key;

  // Throws fruits::UsageError naming the URI when it is not s3://BUCKET[/KEY] with a valid
  // bucket name. REQUIRES: IsS3Uri(uri).
  static S3Location Parse(std::string_view uri);

  std::string Uri() const;
};

}  // namespace fruits::storage
