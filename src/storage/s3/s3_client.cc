#include "storage/s3/s3_client.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "storage/s3/retry_policy.h"
#include "storage/s3/sigv4_signer.h"
#include "util/error.h"
#include "util/seconds_since.h"
#include "util/sha256.h"

namespace fruits::storage {
namespace {

using Clock = std::chrono::steady_clock;

void Sleep(double seconds) { std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); }

std::string OneDecimal(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", value);
  return text;
}

}  // namespace

S3Client::S3Client(S3Options options, AwsEnvironment environment)
    : options_(std::move(options)),
      environment_(std::move(environment)),
      http_(HttpOptions{.stall_timeout_seconds = options_.stall_timeout_seconds,
                        .max_cached_connections = options_.max_in_flight}),
      metadata_http_(MetadataHttpOptions()),
      credentials_(environment_, metadata_http_),
      retry_seed_(std::random_device()()) {
  ValidateS3Options(options_);
  region_ = options_.region.empty() ? ResolveRegion(environment_).region : options_.region;
  if (options_.endpoint.empty()) {
    scheme_ = "https";
  } else {
    std::string_view url = options_.endpoint;
    size_t scheme_end = url.find("://");
    scheme_ = std::string(url.substr(0, scheme_end));
    std::string_view rest = url.substr(scheme_end + 3);
    size_t slash = rest.find('/');
    endpoint_host_ = std::string(rest.substr(0, slash));
    if (slash != std::string_view::npos) endpoint_path_ = std::string(rest.substr(slash));
    while (!endpoint_path_.empty() && endpoint_path_.back() == '/') endpoint_path_.pop_back();
    // The default port is left out of Host, as the SDKs sign it.
    std::string default_port = scheme_ == "https" ? ":443" : ":80";
    if (endpoint_host_.ends_with(default_port)) {
      endpoint_host_.resize(endpoint_host_.size() - default_port.size());
    }
  }
  for (char c : region_) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      throw UsageError("'" + region_ + "' is not an AWS region name (like eu-west-3)");
    }
  }
}

HttpRequest S3Client::Sign(const S3Request& request, const std::string& payload_sha256) {
  const S3Location& location = request.location;
  std::string encoded_key = UriEncode(location.key, true);
  SignableRequest signable{.method = request.method,
                           .query = request.query,
                           .headers = request.headers,
                           .payload_sha256 = payload_sha256};
  // Path-style on a custom endpoint, and for a dotted bucket name on AWS, which would break the
  // TLS wildcard of virtual-hosted names.
  if (!endpoint_host_.empty() || location.bucket.find('.') != std::string::npos) {
    signable.host = endpoint_host_.empty() ? "s3." + region_ + ".amazonaws.com" : endpoint_host_;
    signable.encoded_path = endpoint_path_ + "/" + location.bucket;
    if (!location.key.empty()) signable.encoded_path += "/" + encoded_key;
  } else {
    signable.host = location.bucket + ".s3." + region_ + ".amazonaws.com";
    signable.encoded_path = "/" + encoded_key;
  }

  HttpRequest http;
  http.method = request.method;
  http.body = request.body;
  if (options_.anonymous) {
    http.headers = signable.headers;
    http.headers.emplace_back("host", signable.host);
  } else {
    AwsCredentials credentials = credentials_.Get();
    {
      std::lock_guard lock(signer_mutex_);
      signer_ = {credentials.access_key_id, credentials.source};
    }
    SigningCredentials keys{credentials.access_key_id, credentials.secret_access_key,
                            credentials.session_token};
    http.headers = SignV4(signable, keys, region_, "s3", std::chrono::system_clock::now());
  }
  std::string query = CanonicalQueryString(request.query);
  http.url =
      scheme_ + "://" + signable.host + signable.encoded_path + (query.empty() ? "" : "?" + query);
  return http;
}

HttpOutcome S3Client::Call(const S3Request& request) {
  return std::move(CallAll({request}).front());
}

std::vector<HttpOutcome> S3Client::CallAll(const std::vector<S3Request>& requests) {
  std::vector<HttpOutcome> results(requests.size(), HttpOutcome::Failure("not sent"));
  std::vector<std::string> payload_hashes;
  std::vector<size_t> pending;
  for (size_t i = 0; i < requests.size(); ++i) {
    payload_hashes.push_back(Sha256Hex(requests[i].body));
    pending.push_back(i);
  }
  RetryPolicy policy(options_, retry_seed_++);
  Clock::time_point start = Clock::now();
  for (int attempt = 1; !pending.empty(); ++attempt) {
    std::vector<HttpRequest> signed_requests;
    for (size_t i : pending) signed_requests.push_back(Sign(requests[i], payload_hashes[i]));
    std::vector<HttpOutcome> outcomes = http_.SendAll(signed_requests, options_.max_in_flight);
    std::vector<size_t> retry;
    for (size_t j = 0; j < pending.size(); ++j) {
      if (RetryPolicy::IsRetryable(outcomes[j])) retry.push_back(pending[j]);
      results[pending[j]] = std::move(outcomes[j]);
    }
    pending = std::move(retry);
    if (pending.empty()) break;
    std::optional<double> wait = policy.NextWait(attempt, SecondsSince(start));
    if (!wait) {
      for (size_t i : pending) {
        results[i] = HttpOutcome::Failure(
            GiveUpMessage(requests[i], results[i], attempt, SecondsSince(start)));
      }
      break;
    }
    Sleep(*wait);
  }
  return results;
}

HttpResponse S3Client::CallExpecting(const S3Request& request, std::initializer_list<long> accepted,
                                     const std::string& what) {
  return Expect(Call(request), request, accepted, what);
}

HttpResponse S3Client::Expect(HttpOutcome outcome, const S3Request& request,
                              std::initializer_list<long> accepted, const std::string& what) {
  if (!outcome.ok()) throw Error("cannot " + what + ": " + outcome.error());
  HttpResponse& response = outcome.value();
  if (std::find(accepted.begin(), accepted.end(), response.status) == accepted.end()) {
    throw Error("cannot " + what + ": " +
                (request.method == "HEAD" ? DescribeHead(response, request.location)
                                          : Describe(response, request.location)));
  }
  return std::move(response);
}

std::string S3Client::Describe(const HttpResponse& response, const S3Location& location) {
  S3Caller caller{.region = region_,
                  .endpoint = options_.endpoint.empty() ? "AWS " + region_ : options_.endpoint};
  if (options_.anonymous) {
    caller.access_key_id = "(none)";
    caller.credentials_source = "--no-sign-request";
  } else {
    std::lock_guard lock(signer_mutex_);
    caller.access_key_id = signer_.first;
    caller.credentials_source = signer_.second;
  }
  return DescribeS3Error(response, location, caller);
}

std::string S3Client::DescribeHead(const HttpResponse& head, const S3Location& location) {
  if (head.status < 300 || head.status >= 500) return Describe(head, location);
  // HEAD answers carry no body, so no error code: ask for one byte to hear why.
  HttpOutcome get = Call({.location = location, .headers = {{"range", "bytes=0-0"}}});
  bool explained =
      get.ok() && get.value().status == head.status && !S3ErrorCode(get.value()).empty();
  return Describe(explained ? get.value() : head, location);
}

std::string S3Client::GiveUpMessage(const S3Request& request, const HttpOutcome& last, int attempts,
                                    double seconds) {
  std::string what = last.ok() ? Describe(last.value(), request.location)
                               : "no answer from " +
                                     (options_.endpoint.empty() ? "S3" : options_.endpoint) + " (" +
                                     last.error() + ")";
  return what + "; gave up after " + std::to_string(attempts) + " attempts in " +
         OneDecimal(seconds) + " s (--s3-max-attempts, --s3-max-retry-seconds)";
}

}  // namespace fruits::storage
