#include "storage/s3/s3_error.h"

#include "storage/s3/s3_xml.h"

namespace fruits::storage {
namespace {

// The error body's fields, all "" when the answer has none (HEAD) or is not S3's XML.
S3ErrorBody ErrorBody(const HttpResponse& response) {
  Result<S3ErrorBody> body = ParseS3Error(response.body);
  return body.ok() ? std::move(body).value() : S3ErrorBody{};
}

std::string Hint(const HttpResponse& response, const S3ErrorBody& error, const S3Location& location,
                 const S3Caller& caller) {
  const std::string& code = error.code;
  std::string key_id =
      "access key id " + caller.access_key_id + " (from " + caller.credentials_source + ")";
  std::string bucket_region = response.Header("x-amz-bucket-region");
  if (bucket_region.empty()) bucket_region = error.region;
  if (code == "SignatureDoesNotMatch") {
    return "the secret key does not match " + key_id +
           ": check AWS_SECRET_ACCESS_KEY or the profile's aws_secret_access_key";
  }
  if (code == "InvalidAccessKeyId") {
    return "S3 does not know " + key_id + ": check the credentials, and the endpoint (" +
           caller.endpoint + ")";
  }
  if (code == "ExpiredToken" || code == "InvalidToken") {
    return "the session token of " + key_id + " has expired or is invalid: get new credentials";
  }
  if (code == "RequestTimeTooSkewed") {
    return "this machine's clock is more than 15 minutes off: synchronise it (NTP)";
  }
  if (code == "NoSuchBucket") {
    return "bucket '" + location.bucket + "' does not exist at " + caller.endpoint +
           ": check the name";
  }
  if (code == "NoSuchKey" || (response.status == 404 && code.empty())) {
    return "no object " + location.Uri() + ": check the path";
  }
  if (!bucket_region.empty() && bucket_region != caller.region) {
    return "bucket '" + location.bucket + "' is in region " + bucket_region + ", not " +
           caller.region + ": set AWS_REGION=" + bucket_region +
           " (or --s3-region), knowing the data then leaves " + caller.region;
  }
  if (response.status == 403) {
    return "access denied to " + key_id + ": its policy must allow s3:ListBucket on the bucket " +
           "and s3:GetObject / s3:PutObject on the keys (without s3:ListBucket, S3 answers 403 " +
           "for a missing key too)";
  }
  return "";
}

}  // namespace

std::string S3ErrorCode(const HttpResponse& response) { return ErrorBody(response).code; }

std::string DescribeS3Error(const HttpResponse& response, const S3Location& location,
                            const S3Caller& caller) {
  S3ErrorBody error = ErrorBody(response);
  std::string text = "S3 answered " + std::to_string(response.status);
  if (!error.code.empty()) text += " " + error.code;
  if (!error.message.empty()) text += " (" + error.message + ")";
  std::string hint = Hint(response, error, location, caller);
  if (!hint.empty()) text += "; " + hint;
  return text;
}

}  // namespace fruits::storage
