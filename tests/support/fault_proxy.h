// A fault-injecting HTTP proxy on 127.0.0.1 (tests/references/fault_proxy.mjs) to put between a
// client and S3TestServer: request N gets entry N of a repeating plan of faults (pass, 503,
// reset, cut, stall; see the script for what each does). With Options::verify_secret it first
// checks each request's SigV4 signature as S3 would, which s3rver does not.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "support/node_server.h"
#include "support/run_command.h"

namespace fruits::testing {

struct FaultProxyStats {
  int requests = 0;                   // forwarded or faulted; the stats requests not included
  std::map<std::string, int> faults;  // kind -> requests that got it, for every kind in the plan
  int verified = 0;                   // signatures checked and found right (with verify_secret)
  int rejected = 0;                   // refused (403 SignatureDoesNotMatch, ...): not in requests
  // "AES256", "aws:kms KEY-ID", "none" -> objects and uploads created asking for it.
  std::map<std::string, int> encryption;
};

class FaultProxy {
 public:
  // Every request gets the same fault: FaultProxy proxy(port, FaultProxy::Always{"503"}).
  struct Always {
    std::string kind;
  };

  struct Options {
    int stall_seconds = 30;
    // Non-empty: refuse a request not signed with this secret key (any access key id) as S3
    // would, before its plan entry: FaultProxy(port, "pass", {.verify_secret = "S3RVER"}).
    std::string verify_secret;
  };

  // `plan` as "503,pass,cut": request 1 gets 503, request 2 pass, ..., request 4 503 again.
  FaultProxy(int target_port, const std::string& plan, const Options& options)
      : server_("fault_proxy.mjs", Arguments(target_port, "--plan " + ShellQuote(plan), options)) {}
  FaultProxy(int target_port, const Always& always, const Options& options)
      : server_("fault_proxy.mjs",
                Arguments(target_port, "--always " + ShellQuote(always.kind), options)) {}
  FaultProxy(int target_port, const std::string& plan, int stall_seconds = 30)
      : FaultProxy(target_port, plan, Options{.stall_seconds = stall_seconds}) {}
  FaultProxy(int target_port, const Always& always, int stall_seconds = 30)
      : FaultProxy(target_port, always, Options{.stall_seconds = stall_seconds}) {}

  int port() const { return server_.port(); }
  std::string endpoint() const { return server_.endpoint(); }

  // The proxy's counts so far, as {"requests": N, "faults": {"503": n, ...}, "verified": n,
  // "rejected": n}.
  std::string StatsJson() const {
    CommandResult r =
        RunCommand("curl -sS --max-time 10 " + ShellQuote(endpoint() + "/__fault_proxy/stats"));
    if (r.exit_code != 0) throw std::runtime_error("fault proxy stats: " + r.err);
    return r.out;
  }
  FaultProxyStats Stats() const {
    nlohmann::json json = nlohmann::json::parse(StatsJson());
    FaultProxyStats stats;
    stats.requests = json.at("requests").get<int>();
    stats.faults = json.at("faults").get<std::map<std::string, int>>();
    stats.verified = json.at("verified").get<int>();
    stats.rejected = json.at("rejected").get<int>();
    stats.encryption = json.at("encryption").get<std::map<std::string, int>>();
    return stats;
  }
  std::string Log() const { return server_.Log(); }

 private:
  static std::string Arguments(int target_port, const std::string& faults, const Options& options) {
    std::string arguments = "--target 127.0.0.1:" + std::to_string(target_port) + " " + faults +
                            " --stall-seconds " + std::to_string(options.stall_seconds);
    if (!options.verify_secret.empty()) {
      arguments += " --verify-secret " + ShellQuote(options.verify_secret);
    }
    return arguments;
  }

  NodeServer server_;
};

}  // namespace fruits::testing
