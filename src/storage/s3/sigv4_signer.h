// AWS Signature Version 4 for S3 requests sent with the Authorization header.
//
// We sign ourselves rather than with curl's CURLOPT_AWS_SIGV4: curl 7.88 (Debian 12) sends no
// x-amz-content-sha256, which S3 requires, and hashes only POSTFIELDS bodies, so it cannot sign
// an upload (docs/architecture.md). Pure functions of their inputs, so they are checked against
// the signatures AWS publishes for its documented examples.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fruits::storage {

// What a request is signed with: the secret key never leaves this struct but for the HMAC.
struct SigningCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
};

// A request as SigV4 sees it.
struct SignableRequest {
  std::string method;
  // Host header value: host, or host:port for a non-default port.
  std::string host;
  // Already percent-encoded, starting with '/': see EncodeUriPath().
  std::string encoded_path;
  // Raw (not encoded) names and values; a name without value is an empty value.
  std::vector<std::pair<std::string, std::string>> query;
  // Headers to sign and send besides host, x-amz-date, x-amz-content-sha256 and the token.
  std::vector<std::pair<std::string, std::string>> headers;
  // Hex SHA-256 of the body.
  std::string payload_sha256;
};

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters kept, '/' kept only when
// `keep_slash`, every other byte as %XX with upper-case hex.
std::string UriEncode(std::string_view text, bool keep_slash);

// The query string in canonical order (by encoded name, then value), as sent and as signed.
std::string CanonicalQueryString(std::vector<std::pair<std::string, std::string>> query);

// HMAC-SHA-256 (raw bytes), from OpenSSL's libcrypto. Plain SHA-256 (the payload and the canonical
// request) is fruits::Sha256Hex (util/sha256.h).
std::string HmacSha256(std::string_view key, std::string_view data);

// The headers to send: the request's own plus host, x-amz-date, x-amz-content-sha256,
// x-amz-security-token when there is a session token, and Authorization.
std::vector<std::pair<std::string, std::string>> SignV4(const SignableRequest& request,
                                                        const SigningCredentials& credentials,
                                                        const std::string& region,
                                                        const std::string& service,
                                                        std::chrono::system_clock::time_point now);

}  // namespace fruits::storage
