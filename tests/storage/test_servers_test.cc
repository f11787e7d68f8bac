// Checks the S3 test servers themselves (s3rver and the fault proxy in front of it), with the curl
// command line tool signing SigV4 requests, before our S3 client's tests rely on them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/fault_proxy.h"
#include "support/read_file.h"
#include "support/run_command.h"
#include "support/s3_test_server.h"
#include "support/temp_dir.h"

namespace fruits::testing {
namespace {

// curl signing for `server` with `secret`; prints the HTTP status (000 when there is no answer)
// on stdout and writes the body to `body_path`.
CommandResult SignedCurlWithSecret(const S3TestServer& server, const std::string& secret,
                                   const std::string& url, const std::string& body_path,
                                   const std::string& extra = "") {
  return RunCommand("curl -sS --max-time 20 --aws-sigv4 'aws:amz:" + server.region() +
                    ":s3' --user " + ShellQuote(server.access_key() + ":" + secret) +
                    " -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -w '%{http_code}' -o " +
                    ShellQuote(body_path) + " " + extra + " " + ShellQuote(url));
}
CommandResult SignedCurl(const S3TestServer& server, const std::string& url,
                         const std::string& body_path, const std::string& extra = "") {
  return SignedCurlWithSecret(server, server.secret_key(), url, body_path, extra);
}

TEST(TestServers, PutThenGetThroughPassingProxy) {
  S3TestServer server({"bucket"});
  FaultProxy proxy(server.port(), "pass");
  TempDir dir;
  std::string bytes = "S3 test bytes\n" + std::string(100000, 'x');
  std::ofstream(dir.File("upload"), std::ios::binary) << bytes;
  std::string url = proxy.endpoint() + "/bucket/some/key.bin";

  CommandResult put =
      SignedCurl(server, url, dir.File("put"), "-T " + ShellQuote(dir.File("upload")));
  ASSERT_EQ(put.out, "200") << put.err << ReadFile(dir.File("put")) << server.Log();
  EXPECT_EQ(ReadFile(server.ObjectPath("bucket", "some/key.bin").string()), bytes);

  CommandResult get = SignedCurl(server, url, dir.File("get"));
  ASSERT_EQ(get.out, "200") << get.err;
  EXPECT_EQ(ReadFile(dir.File("get")), bytes);

  FaultProxyStats stats = proxy.Stats();
  EXPECT_EQ(stats.requests, 2);
  EXPECT_EQ(stats.faults["pass"], 2);
}

TEST(TestServers, ProxyAlways503AnswersSlowDownWithoutForwarding) {
  S3TestServer server({"bucket"});
  FaultProxy proxy(server.port(), FaultProxy::Always{"503"});
  TempDir dir;
  std::ofstream(dir.File("upload")) << "never stored";

  CommandResult put = SignedCurl(server, proxy.endpoint() + "/bucket/key", dir.File("put"),
                                 "-T " + ShellQuote(dir.File("upload")));
  EXPECT_EQ(put.out, "503") << put.err;
  EXPECT_NE(ReadFile(dir.File("put")).find("<Code>SlowDown</Code>"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(server.ObjectPath("bucket", "key")));

  FaultProxyStats stats = proxy.Stats();
  EXPECT_EQ(stats.requests, 1);
  EXPECT_EQ(stats.faults["503"], 1);
}

TEST(TestServers, ProxyPlanRepeatsOverRequests) {
  S3TestServer server({"bucket"});
  FaultProxy proxy(server.port(), "503,pass,cut");
  TempDir dir;
  std::ofstream(dir.File("object")) << "0123456789";
  SignedCurl(server, server.endpoint() + "/bucket/key", dir.File("put"),
             "-T " + ShellQuote(dir.File("object")));  // straight to s3rver: not counted

  std::string url = proxy.endpoint() + "/bucket/key";
  EXPECT_EQ(SignedCurl(server, url, dir.File("1")).out, "503");
  EXPECT_EQ(SignedCurl(server, url, dir.File("2")).out, "200");
  CommandResult cut = SignedCurl(server, url, dir.File("3"));
  EXPECT_EQ(cut.exit_code, 18) << cut.err;  // CURLE_PARTIAL_FILE: half the body, then closed
  EXPECT_EQ(ReadFile(dir.File("3")), "01234");
  EXPECT_EQ(SignedCurl(server, url, dir.File("4")).out, "503");

  FaultProxyStats stats = proxy.Stats();
  EXPECT_EQ(stats.requests, 4);
  EXPECT_EQ(stats.faults["503"], 2);
  EXPECT_EQ(stats.faults["pass"], 1);
  EXPECT_EQ(stats.faults["cut"], 1);
}

// s3rver takes any secret; the proxy, verifying, refuses a wrong one as S3 would.
TEST(TestServers, VerifyingProxyRefusesAWrongSecretKey) {
  S3TestServer server({"bucket"});
  FaultProxy proxy(server.port(), "pass", {.verify_secret = server.secret_key()});
  TempDir dir;
  std::ofstream(dir.File("upload")) << "signed bytes";
  std::string url = proxy.endpoint() + "/bucket/key";
  std::string upload = "-T " + ShellQuote(dir.File("upload"));

  CommandResult wrong = SignedCurlWithSecret(server, "WRONG", url, dir.File("wrong"), upload);
  EXPECT_EQ(wrong.out, "403") << wrong.err;
  EXPECT_NE(ReadFile(dir.File("wrong")).find("<Code>SignatureDoesNotMatch</Code>"),
            std::string::npos)
      << ReadFile(dir.File("wrong"));
  EXPECT_FALSE(std::filesystem::exists(server.ObjectPath("bucket", "key")));

  CommandResult right = SignedCurl(server, url, dir.File("right"), upload);
  ASSERT_EQ(right.out, "200") << right.err << ReadFile(dir.File("right")) << proxy.Log();
  EXPECT_EQ(ReadFile(server.ObjectPath("bucket", "key").string()), "signed bytes");

  FaultProxyStats stats = proxy.Stats();
  EXPECT_EQ(stats.verified, 1);
  EXPECT_EQ(stats.rejected, 1);
  EXPECT_EQ(stats.requests, 1);  // the refused request got no plan entry
  EXPECT_EQ(stats.faults["pass"], 1);
}

}  // namespace
}  // namespace fruits::testing
