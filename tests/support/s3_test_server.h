// A real S3 server on 127.0.0.1 for one test: s3rver (tests/references/s3_server.mjs) over a fresh
// data folder, with the given buckets already made. s3rver only looks up the access key: it does
// not check SigV4 signatures (see the notes at the top of s3_server.mjs for what it does check).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/node_server.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fruits::testing {

class S3TestServer {
 public:
  explicit S3TestServer(const std::vector<std::string>& buckets)
      : server_("s3_server.mjs", Arguments(data_dir_.path().string(), buckets),
                "--openssl-legacy-provider") {}

  int port() const { return server_.port(); }
  // Path-style: requests go to ENDPOINT/BUCKET/KEY.
  std::string endpoint() const { return server_.endpoint(); }
  std::string region() const { return "us-east-1"; }
  std::string access_key() const { return "S3RVER"; }
  std::string secret_key() const { return "S3RVER"; }
  const std::filesystem::path& data_dir() const { return data_dir_.path(); }
  // Where s3rver keeps the bytes of BUCKET/KEY: "a/b/c.bin" is
  // DATA/BUCKET/a/b/c.bin._S3rver_object.
  std::filesystem::path ObjectPath(const std::string& bucket, const std::string& key) const {
    return data_dir_.path() / bucket / (key + "._S3rver_object");
  }
  // The server's output so far (it logs nothing unless it fails).
  std::string Log() const { return server_.Log(); }

 private:
  static std::string Arguments(const std::string& data_dir,
                               const std::vector<std::string>& buckets) {
    std::string arguments = "--directory " + ShellQuote(data_dir);
    for (const std::string& bucket : buckets) arguments += " --bucket " + ShellQuote(bucket);
    return arguments;
  }

  TempDir data_dir_;  // before server_: made before it starts, removed after it stops
  NodeServer server_;
};

}  // namespace fruits::testing
