#include "storage/s3/s3_error.h"

#include <pugixml.hpp>

namespace fruits::storage {
namespace {

std::string ErrorField(const HttpResponse& response, const char* field) {
  pugi::xml_document document;
  if (!document.load_buffer(response.body.data(), response.body.size())) return "";
  return document.child("Error").child(field).text().as_string();
}

std::string Hint(const HttpResponse& response, const std::string& code, const S3Location& location,
                 const S3Caller& caller) {
  std::string key_id =
      "access key id " + caller.access_key_id + " (from " + caller.credentials_source + ")";
  std::string bucket_region = response.Header("x-amz-bucket-region");
  if (bucket_region.empty()) bucket_region = ErrorField(response, "Region");
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

std::string S3ErrorCode(const HttpResponse& response) { return ErrorField(response, "Code"); }

std::string DescribeS3Error(const HttpResponse& response, const S3Location& location,
                            const S3Caller& caller) {
  std::string code = S3ErrorCode(response);
  std::string message = ErrorField(response, "Message");
  std::string text = "S3 answered " + std::to_string(response.status);
  if (!code.empty()) text += " " + code;
  if (!message.empty()) text += " (" + message + ")";
  std::string hint = Hint(response, code, location, caller);
  if (!hint.empty()) text += "; " + hint;
  return text;
}

}  // namespace fruits::storage
