// AWS credentials and where they come from: the standard provider chain, cached and refreshed.
//
// CredentialsChain asks each source in the AWS CLI's order and keeps the first answer:
//   1. the environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); without
//      them, AWS_WEB_IDENTITY_TOKEN_FILE (IAM roles for service accounts) is refused with advice;
//   2. the shared files: the profile's static keys (see aws_profile.h);
//   3. the container endpoint: ECS (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, a path on
//      169.254.170.2) or ECS/EKS Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI, only on a
//      loopback address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23), with the Authorization
//      header from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at each fetch) or
//      AWS_CONTAINER_AUTHORIZATION_TOKEN when set;
//   4. EC2 instance metadata (AWS_EC2_METADATA_SERVICE_ENDPOINT, else 169.254.169.254), IMDSv2
//      only: a session token first, reused until shortly before it ends and fetched again after
//      a 401; skipped when AWS_EC2_METADATA_DISABLED=true.
// A source that is not configured (or, for instance metadata, does not answer) is skipped; a
// source that is configured but wrong or failing (half a key pair, an unsupported profile, a
// container endpoint on a host that is not allowed or that fails) ends the search with a
// fruits::Error saying what to fix, since going on would silently run as another identity. When
// no source answers, fruits::Error lists what was tried and what to do.
//
// Temporary credentials are refreshed from the source that gave them, before they expire (within
// CredentialsOptions::refresh_margin). When a refresh fails while the cached ones are still valid,
// they are kept (with a warning) until they expire. Thread-safe: Get() may be called from any
// thread; one caller at a time fetches while the others wait for its answer. No message or log line
// holds a secret key, a session token or an authorization token (the access key id may appear).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/s3/aws_profile.h"
#include "storage/s3/http_client.h"

namespace fruits::storage {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  // "" for long-term keys.
  std::string session_token;
  // When temporary credentials stop working; none for long-term keys.
  std::optional<std::chrono::system_clock::time_point> expiration;
  // Where they came from, for messages: "environment", "profile NAME in PATH", "container
  // endpoint URL", "instance metadata (IMDSv2), role NAME".
  std::string source;
};

// An ISO-8601 UTC time as AWS writes expirations: "2026-11-25T12:34:56Z", also with fractional
// seconds ("...56.123Z") or a numeric offset ("...56+01:00"). Nothing when `text` is not one.
std::optional<std::chrono::system_clock::time_point> ParseAwsTimestamp(std::string_view text);

// Timeouts suited to the metadata endpoints, which answer within a second or not at all: with
// them (and one retry) a machine without instance metadata moves on in about 2 s.
HttpOptions MetadataHttpOptions();

// One source of credentials (defined in aws_credentials.cc).
class CredentialsProvider;

// Where the chain reads the time: wall time for expirations, steady time for the refresh interval
// and IMDSv2 token lifetimes. The real clocks by default; tests give clocks they advance
// themselves, so that expiry needs no waiting.
struct CredentialsClock {
  std::function<std::chrono::system_clock::time_point()> wall_now = [] {
    return std::chrono::system_clock::now();
  };
  std::function<std::chrono::steady_clock::time_point()> steady_now = [] {
    return std::chrono::steady_clock::now();
  };
};

struct CredentialsOptions {
  // Credentials expiring within this margin are refreshed before they are handed out.
  std::chrono::milliseconds refresh_margin = std::chrono::minutes(5);
  // While the cached credentials are still valid, a refresh is tried at most once per this
  // interval: a failing endpoint, or one that keeps answering with credentials that expire within
  // the margin, is not asked again on every call.
  std::chrono::milliseconds refresh_interval = std::chrono::seconds(10);
  // Lifetime asked for IMDSv2 session tokens (1 to 21600 seconds); a token is reused until a
  // minute (or half its lifetime, if shorter) before it ends.
  int imds_token_ttl_seconds = 21600;
  // The ECS endpoint AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is a path on (tests point it at a
  // fake server).
  std::string container_relative_endpoint = "http://169.254.170.2";
  CredentialsClock clock;
};

class CredentialsChain {
 public:
  // `http` must outlive the chain; give it MetadataHttpOptions()-like timeouts (the chain sends
  // it only metadata requests). Nothing is fetched before the first Get().
  CredentialsChain(AwsEnvironment environment, HttpClient& http, CredentialsOptions options = {});
  ~CredentialsChain();
  CredentialsChain(const CredentialsChain&) = delete;
  CredentialsChain& operator=(const CredentialsChain&) = delete;

  // Credentials valid now and, unless the source failed to refresh them, for at least
  // refresh_margin more. Throws fruits::Error when no source gives any, when a configured
  // source is wrong, or when cached credentials expired and their source cannot renew them.
  AwsCredentials Get();

 private:
  AwsCredentials Resolve();
  bool Fresh(const AwsCredentials& credentials, std::chrono::system_clock::time_point now) const;

  AwsEnvironment environment_;
  CredentialsOptions options_;
  std::vector<std::unique_ptr<CredentialsProvider>> providers_;

  std::mutex mutex_;
  // The source that answered, and its answer.
  CredentialsProvider* provider_ = nullptr;
  std::optional<AwsCredentials> cached_;
  // When a refresh of cached_ was last tried; none since cached_ was fetched.
  std::optional<std::chrono::steady_clock::time_point> last_refresh_attempt_;
};

}  // namespace fruits::storage
