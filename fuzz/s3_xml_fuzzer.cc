// XML answers from an S3 endpoint (any endpoint the user names, so strangers' bytes): a
// ListObjectsV2 page, an error body, the answers to starting and completing a multipart upload
// (the s3_xml parsers every S3 call reads through), and the error message built from an answer
// (S3ErrorCode, DescribeS3Error with the region hint).
//
// These never throw: any exception, crash or sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/s3/http_client.h"
#include "storage/s3/s3_error.h"
#include "storage/s3/s3_location.h"
#include "storage/s3/s3_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fruits::storage;
  // The first byte picks the status, so every hint can be reached.
  static const long kStatuses[] = {200, 301, 400, 403, 404, 409, 500, 503};
  HttpResponse response{.status = size > 0 ? kStatuses[data[0] % 8] : 404};
  if (size > 1) response.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  ParseListObjectsV2(response.body);
  ParseS3Error(response.body);
  ParseInitiateMultipartUpload(response.body);
  ParseCompleteMultipartUpload(response.body);
  S3ErrorCode(response);
  const S3Location location{.bucket = "fuzz-bucket", .key = "images/a.jpg"};
  const S3Caller caller{.region = "eu-west-3",
                        .endpoint = "https://s3.eu-west-3.amazonaws.com",
                        .access_key_id = "AKIAFUZZ",
                        .credentials_source = "environment"};
  DescribeS3Error(response, location, caller);
  return 0;
}
