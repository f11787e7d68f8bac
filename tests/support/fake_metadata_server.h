// A fake EC2 instance metadata service (IMDSv2) and container credentials endpoint on 127.0.0.1
// for one test: tests/references/fake_aws_metadata.mjs (see its header for what it serves). Each
// credential set it issues has a new access key id (ASIAFAKE00000001, ...), so a test sees when
// credentials were fetched again; Stats() says what it was asked, in order.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "storage/s3/http_client.h"
#include "support/node_server.h"
#include "support/run_command.h"

namespace fruits::testing {

class FakeMetadataServer {
 public:
  struct Options {
    // Seconds each credential set is valid (its Expiration is rounded up to a whole second).
    double lifetime_seconds = 3600;
    // The instance's IAM role; "" for an instance without one (the role lookup answers 404).
    std::string role = "fruits-test-role";
    // When not empty, the container endpoint answers 401 unless Authorization is this.
    std::string auth_token;
  };

  FakeMetadataServer() : FakeMetadataServer(Options{}) {}
  explicit FakeMetadataServer(const Options& options)
      : server_("fake_aws_metadata.mjs", Arguments(options)) {}

  // http://127.0.0.1:PORT: AWS_EC2_METADATA_SERVICE_ENDPOINT, and the base of the container
  // endpoint (ENDPOINT/v2/credentials/ID).
  std::string endpoint() const { return server_.endpoint(); }
  int port() const { return server_.port(); }

  // {"token_requests", "role_requests", "credential_requests", "container_requests",
  //  "rejected_requests", "log": ["PUT token ttl=21600 200", "GET role 200", ...]}.
  nlohmann::json Stats() { return nlohmann::json::parse(Call("GET", "/__stats")); }
  // Every IMDS token issued so far stops working (as when the service restarts).
  void RevokeTokens() { Call("POST", "/__revoke_tokens"); }
  // Every metadata request answers 500 until EndOutage().
  void StartOutage() { Call("POST", "/__outage"); }
  void EndOutage() { Call("POST", "/__recover"); }
  std::string Log() const { return server_.Log(); }

 private:
  static std::string Arguments(const Options& options) {
    return "--lifetime " + std::to_string(options.lifetime_seconds) + " --role " +
           ShellQuote(options.role) +
           (options.auth_token.empty() ? "" : " --auth-token " + ShellQuote(options.auth_token));
  }

  std::string Call(const std::string& method, const std::string& path) {
    auto outcome = http_.Send({.method = method, .url = endpoint() + path});
    if (!outcome.ok() || outcome.value().status != 200) {
      throw std::runtime_error(
          "fake metadata server: " + method + " " + path + " failed: " +
          (outcome.ok() ? std::to_string(outcome.value().status) : outcome.error()) + "\n" + Log());
    }
    return outcome.value().body;
  }

  NodeServer server_;
  storage::HttpClient http_;
};

}  // namespace fruits::testing
