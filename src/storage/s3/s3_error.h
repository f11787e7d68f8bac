// What an S3 error answer means to the user: which bucket or key, what went wrong, what to do.
#pragma once

#include <string>

#include "storage/s3/http_client.h"
#include "storage/s3/s3_location.h"

namespace fruits::storage {

// Who asked, for the hints: the region requests were signed for and the access key id (never
// the secret) with where it came from.
struct S3Caller {
  std::string region;
  std::string endpoint;
  std::string access_key_id;
  std::string credentials_source;
};

// The code S3 put in an XML error body (<Error><Code>), or "" when there is none (HEAD answers
// carry no body).
std::string S3ErrorCode(const HttpResponse& response);

// One line: the status and S3's code and message, and a hint for the usual causes
// (wrong secret, unknown key id, no permission, missing bucket or key, bucket in another region,
// clock skew).
std::string DescribeS3Error(const HttpResponse& response, const S3Location& location,
                            const S3Caller& caller);

}  // namespace fruits::storage
