// Signed S3 REST requests with retries: the layer S3Store speaks through.
//
// Builds the URL (virtual-hosted on AWS, path-style on a custom endpoint), signs each attempt
// with SigV4 and the current credentials (refreshed before they expire), and retries what
// RetryPolicy says may be retried, within its bounds. Every S3 request fruits makes is safe to
// repeat (GET, HEAD, PUT of a whole object or part, DELETE, and the multipart calls, whose
// repetition at worst leaves an unused upload that S3's lifecycle rules clean up). Thread-safe.
#pragma once

#include <atomic>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/s3/aws_credentials.h"
#include "storage/s3/aws_profile.h"
#include "storage/s3/http_client.h"
#include "storage/s3/s3_error.h"
#include "storage/s3/s3_location.h"
#include "storage/s3/s3_options.h"

namespace fruits::storage {

struct S3Request {
  std::string method = "GET";
  S3Location location;
  // Raw names and values; encoded and ordered when signed.
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  // The caller keeps it alive during the call.
  std::string_view body;
};

class S3Client {
 public:
  // Resolves the region and the endpoint now; credentials on the first request.
  S3Client(S3Options options, AwsEnvironment environment);

  // S3's answer, whatever its status, once it is not one to retry; a failure (with the URI, the
  // last answer or transport error, and the attempts made) when retries ran out.
  HttpOutcome Call(const S3Request& request);
  // The same for many requests sent concurrently (at most options().max_in_flight at a time).
  std::vector<HttpOutcome> CallAll(const std::vector<S3Request>& requests);

  // The answer to `request` when its status is one of `accepted`; otherwise throws fruits::Error
  // "cannot WHAT: " with the reason (retries run out, or S3's answer described). The second form
  // takes the outcome of a Call() already made.
  HttpResponse CallExpecting(const S3Request& request, std::initializer_list<long> accepted,
                             const std::string& what);
  HttpResponse Expect(HttpOutcome outcome, const S3Request& request,
                      std::initializer_list<long> accepted, const std::string& what);

  // The message for an answer that is an error, with a hint for the usual causes.
  std::string Describe(const HttpResponse& response, const S3Location& location);
  // The same for the answer to a HEAD request, which has no body to say why: asks again with a
  // GET of one byte for S3's error code.
  std::string DescribeHead(const HttpResponse& head, const S3Location& location);

  const S3Options& options() const { return options_; }

 private:
  HttpRequest Sign(const S3Request& request, const std::string& payload_sha256);
  std::string GiveUpMessage(const S3Request& request, const HttpOutcome& last, int attempts,
                            double seconds);

  S3Options options_;
  AwsEnvironment environment_;
  std::string scheme_;
  // host[:port] of a custom endpoint and the path it is mounted under; empty on AWS.
  std::string endpoint_host_;
  std::string endpoint_path_;
  std::string region_;
  HttpClient http_;
  // Instance metadata and container endpoints answer within a second or not at all.
  HttpClient metadata_http_;
  CredentialsChain credentials_;
  // The access key id and its source that signed the last request, for messages (asking the
  // chain again could itself fail, or fetch).
  std::mutex signer_mutex_;
  std::pair<std::string, std::string> signer_;
  std::atomic<uint64_t> retry_seed_;
};

}  // namespace fruits::storage
