#include "storage/s3/s3_location.h"

#include <cctype>

#include "util/error.h"

namespace fruits::storage {
namespace {

// S3's bucket naming rules: 3-63 characters, lower-case letters, digits, '.' and '-', starting
// and ending with a letter or digit.
bool IsValidBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  for (char c : name) {
    if (!std::islower(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '.' && c != '-') {
      return false;
    }
  }
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  return alnum(name.front()) && alnum(name.back());
}

}  // namespace

S3Location S3Location::Parse(std::string_view uri) {
  std::string_view rest = uri.substr(kS3Scheme.size());
  size_t slash = rest.find('/');
  S3Location location;
  location.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) location.key = std::string(rest.substr(slash + 1));
  if (!IsValidBucketName(location.bucket)) {
    throw UsageError("'" + std::string(uri) +
                     "' does not name an S3 bucket: write s3://BUCKET/KEY, " +
                     "where BUCKET is 3-63 characters of a-z, 0-9, '.' and '-'");
  }
  return location;
}

std::string S3Location::Uri() const {
  return std::string(kS3Scheme) + bucket + (key.empty() ? "" : "/" + key);
}

}  // namespace fruits::storage
