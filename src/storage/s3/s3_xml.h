// S3's XML answers as values: pure functions of the bytes S3 sent, with no network, so they are
// tested and fuzzed on their own.
//
// Each takes the body of one answer and returns what it holds, or why it does not hold it (not
// XML, not the expected document). None throws, whatever the bytes. Thread-safe (no state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace fruits::storage {

// One page of a ListObjectsV2 answer (<ListBucketResult>).
struct ListObjectsPage {
  struct Object {
    std::string key;
    uint64_t size = 0;
  };
  // <Contents> in the order S3 sent them (S3 sorts keys in byte order).
  std::vector<Object> objects;
  // Whether more pages follow, and the token that asks for the next one.
  bool is_truncated = false;
  std::string next_continuation_token;
};
Result<ListObjectsPage> ParseListObjectsV2(std::string_view xml);

// The fields of an error answer (<Error>); each "" when absent.
struct S3ErrorBody {
  std::string code;
  std::string message;
  // The bucket's region, which S3 names in some redirects and 400s.
  std::string region;
};
// A failure when the body is not an <Error> document (HEAD answers carry no body at all).
Result<S3ErrorBody> ParseS3Error(std::string_view xml);

// The UploadId of an InitiateMultipartUpload answer; a failure when there is none.
Result<std::string> ParseInitiateMultipartUpload(std::string_view xml);

// What a CompleteMultipartUpload answer with status 200 says: the object's ETag ("" when S3
// gave none), or a failure with S3's code and message when the body is an <Error> (S3 reports
// errors met after it started answering this way) or not XML.
Result<std::string> ParseCompleteMultipartUpload(std::string_view xml);

}  // namespace fruits::storage
