// XML answers from an S3 endpoint (any endpoint the user names, so strangers' bytes): error
// bodies (S3ErrorCode, DescribeS3Error with the region hint) as read after any failed call and
// after a multipart completion answered 200.
//
// These never throw: any exception, crash or sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/s3/http_client.h"
#include "storage/s3/s3_error.h"
#include "storage/s3/s3_location.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fruits::storage;
  // The first byte picks the status, so every hint can be reached.
  static const long kStatuses[] = {200, 301, 400, 403, 404, 409, 500, 503};
  HttpResponse response{.status = size > 0 ? kStatuses[data[0] % 8] : 404};
  if (size > 1) response.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  S3ErrorCode(response);
  const S3Location location{.bucket = "fuzz-bucket", .key = "images/a.jpg"};
  const S3Caller caller{.region = "eu-west-3",
                        .endpoint = "https://s3.eu-west-3.amazonaws.com",
                        .access_key_id = "AKIAFUZZ",
                        .credentials_source = "environment"};
  DescribeS3Error(response, location, caller);
  return 0;
}
