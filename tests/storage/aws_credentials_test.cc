#include "storage/s3/aws_credentials.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "support/fake_metadata_server.h"
#include "support/temp_dir.h"
#include "support/text_assertions.h"
#include "util/error.h"

namespace fruits::storage {
namespace {

using fruits::testing::FakeMetadataServer;
using fruits::testing::TempDir;
using std::chrono::system_clock;
using Vars = std::map<std::string, std::string>;

constexpr char kRole[] = "fruits-test-role";

using fruits::testing::Contains;
using fruits::testing::Lacks;
using fruits::testing::MessageOf;

// What the fake server puts in every secret and session token it issues.
::testing::AssertionResult HoldsNoSecret(const std::string& text) {
  for (const char* secret : {"fakeSECRET", "fakeSESSIONTOKEN", "envSecretKey", "envSessionToken",
                             "container-auth-token", "imds-token-"}) {
    if (text.find(secret) != std::string::npos) {
      return ::testing::AssertionFailure() << "a secret (" << secret << ") is in: " << text;
    }
  }
  return ::testing::AssertionSuccess();
}

// Clocks the test moves itself. Both start at the real time, so the fake server's expirations
// (the real time plus their lifetime) lie ahead of them; moving them past an expiry takes no
// waiting.
class ManualClock {
 public:
  CredentialsClock Clock() {
    return {.wall_now = [this] { return wall_; }, .steady_now = [this] { return steady_; }};
  }
  void Advance(std::chrono::nanoseconds by) {
    wall_ += std::chrono::duration_cast<system_clock::duration>(by);
    steady_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(by);
  }
  void AdvanceTo(system_clock::time_point wall) { Advance(wall - wall_); }

 private:
  system_clock::time_point wall_ = system_clock::now();
  std::chrono::steady_clock::time_point steady_ = std::chrono::steady_clock::now();
};

// An HttpClient that counts what it is asked to send.
class CountingHttpClient : public HttpClient {
 public:
  using HttpClient::HttpClient;
  HttpOutcome Send(const HttpRequest& request) override {
    ++sent;
    return HttpClient::Send(request);
  }
  std::atomic<int> sent{0};
};

// A HOME without AWS files (so that the real ~/.aws is never read) and, unless a test turns it
// on, no instance metadata (so that no test waits on 169.254.169.254).
class CredentialsTest : public ::testing::Test {
 protected:
  AwsEnvironment Environment(Vars variables) {
    variables.emplace("HOME", home_.path().string());
    variables.emplace("AWS_EC2_METADATA_DISABLED", "true");
    return AwsEnvironment(std::move(variables));
  }

  void WriteAwsFile(const std::string& name, const std::string& text) {
    std::filesystem::create_directories(home_.path() / ".aws");
    std::ofstream(home_.File(".aws/" + name)) << text;
  }
  std::string AwsFile(const std::string& name) const { return home_.File(".aws/" + name); }

  TempDir home_;
  HttpClient http_{MetadataHttpOptions()};
};

TEST(ParseAwsTimestamp, AwsFormatsAndRejects) {
  auto at = [](int64_t seconds) { return system_clock::time_point(std::chrono::seconds(seconds)); };
  EXPECT_EQ(ParseAwsTimestamp("2026-11-25T12:34:56Z"), at(1795610096));
  EXPECT_EQ(ParseAwsTimestamp("1970-01-01T00:00:00Z"), at(0));
  EXPECT_EQ(ParseAwsTimestamp("2024-02-29T00:00:00z"), at(1709164800));  // leap day
  EXPECT_EQ(ParseAwsTimestamp("2026-11-25T13:34:56+01:00"), at(1795610096));
  EXPECT_EQ(ParseAwsTimestamp("2026-11-25T10:04:56-0230"), at(1795610096));
  EXPECT_EQ(ParseAwsTimestamp("2026-11-25T12:34:56.250Z"),
            at(1795610096) + std::chrono::milliseconds(250));
  for (const char* bad : {"", "2026-11-25", "2026-11-25T12:34:56", "2026-11-25 12:34:56Z",
                          "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-25T24:00:00Z",
                          "2026-11-25T12:34:56.Z", "2026-11-25T12:34:56Zjunk", "26-11-25T12:34:56Z",
                          "2026-11-25T12:34:56+1:00", "not a time"}) {
    EXPECT_FALSE(ParseAwsTimestamp(bad).has_value()) << bad;
  }
}

TEST_F(CredentialsTest, EnvironmentKeys) {
  CredentialsChain chain(Environment({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                      {"AWS_SECRET_ACCESS_KEY", "envSecretKey"},
                                      {"AWS_SESSION_TOKEN", "envSessionToken"}}),
                         http_);
  AwsCredentials credentials = chain.Get();
  EXPECT_EQ(credentials.access_key_id, "AKIDENV");
  EXPECT_EQ(credentials.secret_access_key, "envSecretKey");
  EXPECT_EQ(credentials.session_token, "envSessionToken");
  EXPECT_FALSE(credentials.expiration.has_value());
  EXPECT_EQ(credentials.source, "environment");
}

TEST_F(CredentialsTest, HalfAnEnvironmentKeyPairNamesTheMissingOne) {
  std::string message = MessageOf([&] {
    CredentialsChain(Environment({{"AWS_SECRET_ACCESS_KEY", "envSecretKey"}}), http_).Get();
  });
  EXPECT_TRUE(Contains(message, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"));
  EXPECT_TRUE(HoldsNoSecret(message));

  // Even with a usable profile: the environment says something is half done.
  WriteAwsFile("credentials",
               "[default]\naws_access_key_id = AKIDFILE\n"
               "aws_secret_access_key = fileSecret\n");
  message = MessageOf([&] {
    CredentialsChain(Environment({{"AWS_ACCESS_KEY_ID", "AKIDENV"}}), http_).Get();
  });
  EXPECT_TRUE(Contains(message, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"));
}

TEST_F(CredentialsTest, ProfileKeys) {
  WriteAwsFile("credentials",
               "[default]\naws_access_key_id = AKIDDEFAULT\n"
               "aws_secret_access_key = defaultSecret\n"
               "[dev]\naws_access_key_id = AKIDDEV\n"
               "aws_secret_access_key = devSecret\n"
               "aws_session_token = devToken\n");
  AwsCredentials credentials = CredentialsChain(Environment({}), http_).Get();
  EXPECT_EQ(credentials.access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(credentials.secret_access_key, "defaultSecret");
  EXPECT_EQ(credentials.source, "profile default in " + AwsFile("credentials"));

  credentials = CredentialsChain(Environment({{"AWS_PROFILE", "dev"}}), http_).Get();
  EXPECT_EQ(credentials.access_key_id, "AKIDDEV");
  EXPECT_EQ(credentials.session_token, "devToken");
  EXPECT_FALSE(credentials.expiration.has_value());
}

TEST_F(CredentialsTest, UnsupportedProfileEndsTheSearch) {
  // Going on to instance metadata would run as another identity than the one asked for.
  FakeMetadataServer server;
  WriteAwsFile("config", "[profile dev]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = b\n");
  std::string message = MessageOf([&] {
    CredentialsChain(Environment({{"AWS_PROFILE", "dev"},
                                  {"AWS_EC2_METADATA_DISABLED", "false"},
                                  {"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.endpoint()}}),
                     http_)
        .Get();
  });
  EXPECT_TRUE(Contains(message, "role_arn"));
  EXPECT_TRUE(Contains(message, "aws configure export-credentials --profile dev"));
  EXPECT_EQ(server.Stats()["token_requests"], 0);
}

TEST_F(CredentialsTest, WebIdentityIsRefusedWithAdvice) {
  std::string message = MessageOf([&] {
    CredentialsChain(Environment({{"AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/token"},
                                  {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}}),
                     http_)
        .Get();
  });
  EXPECT_TRUE(Contains(message, "AWS_WEB_IDENTITY_TOKEN_FILE"));
  EXPECT_TRUE(Contains(message, "EKS Pod Identity"));
}

TEST_F(CredentialsTest, SourcesAreTriedInOrder) {
  FakeMetadataServer server;
  WriteAwsFile("credentials",
               "[default]\naws_access_key_id = AKIDFILE\n"
               "aws_secret_access_key = fileSecret\n");
  Vars everything = {
      {"AWS_ACCESS_KEY_ID", "AKIDENV"},
      {"AWS_SECRET_ACCESS_KEY", "envSecretKey"},
      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.endpoint() + "/v2/credentials/a"},
      {"AWS_EC2_METADATA_DISABLED", "false"},
      {"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.endpoint()}};
  auto source = [&] { return CredentialsChain(Environment(everything), http_).Get().source; };
  EXPECT_EQ(source(), "environment");
  everything.erase("AWS_ACCESS_KEY_ID");
  everything.erase("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(source(), "profile default in " + AwsFile("credentials"));
  std::filesystem::remove(AwsFile("credentials"));
  EXPECT_EQ(source(), "container endpoint " + server.endpoint() + "/v2/credentials/a");
  everything.erase("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  EXPECT_EQ(source(), std::string("instance metadata (IMDSv2), role ") + kRole);
  // Only the last two asked the server, once each.
  nlohmann::json stats = server.Stats();
  EXPECT_EQ(stats["container_requests"], 1);
  EXPECT_EQ(stats["credential_requests"], 1);
}

TEST_F(CredentialsTest, NothingFoundListsWhatWasTriedAndWhatToDo) {
  std::string message = MessageOf([&] { CredentialsChain(Environment({}), http_).Get(); });
  EXPECT_TRUE(Contains(message, "no AWS credentials found"));
  EXPECT_TRUE(
      Contains(message, "environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"));
  EXPECT_TRUE(
      Contains(message, "shared files: no profile 'default' in '" + AwsFile("credentials")));
  EXPECT_TRUE(Contains(message,
                       "container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
                       "AWS_CONTAINER_CREDENTIALS_FULL_URI are not set"));
  EXPECT_TRUE(Contains(message, "instance metadata (IMDSv2): AWS_EC2_METADATA_DISABLED is true"));
  EXPECT_TRUE(Contains(message, "Export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"));
  EXPECT_TRUE(Contains(message, "set AWS_PROFILE"));
  EXPECT_TRUE(Contains(message, "with an IAM role"));
}

TEST_F(CredentialsTest, NoInstanceMetadataServiceMovesOnQuickly) {
  // Nothing listens on port 1: refused at once, like a laptop with no route to 169.254.169.254.
  CountingHttpClient http(MetadataHttpOptions());
  std::string message = MessageOf([&] {
    CredentialsChain(Environment({{"AWS_EC2_METADATA_DISABLED", ""},
                                  {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1/"}}),
                     http)
        .Get();
  });
  // The token request and one retry, no more, each within the metadata timeouts: where there is
  // no metadata service the chain gives up after at most 2 x 5 s, and at once when refused.
  EXPECT_EQ(http.sent, 2);
  EXPECT_LE(MetadataHttpOptions().connect_timeout_seconds, 1);
  EXPECT_LE(MetadataHttpOptions().total_timeout_seconds, 5);
  EXPECT_TRUE(Contains(message, "instance metadata (IMDSv2): no answer from http://127.0.0.1:1 ("));
  EXPECT_TRUE(Contains(message, "not an EC2 instance"));
}

TEST_F(CredentialsTest, InstanceWithoutRole) {
  FakeMetadataServer server({.role = ""});
  std::string message = MessageOf([&] {
    CredentialsChain(Environment({{"AWS_EC2_METADATA_DISABLED", "false"},
                                  {"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.endpoint()}}),
                     http_)
        .Get();
  });
  EXPECT_TRUE(Contains(message, "has no IAM role for this instance"));
}

TEST_F(CredentialsTest, DisabledInstanceMetadataIsNotAsked) {
  FakeMetadataServer server;
  for (const char* disabled : {"true", "TRUE", " True "}) {
    EXPECT_THROW(
        CredentialsChain(Environment({{"AWS_EC2_METADATA_DISABLED", disabled},
                                      {"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.endpoint()}}),
                         http_)
            .Get(),
        Error);
  }
  EXPECT_EQ(server.Stats()["log"].size(), 0u);
}

TEST_F(CredentialsTest, InstanceMetadataAsksForATokenFirstAndReusesIt) {
  FakeMetadataServer server;  // credentials valid for an hour
  ManualClock clock;
  CredentialsChain chain(Environment({{"AWS_EC2_METADATA_DISABLED", "false"},
                                      {"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.endpoint()}}),
                         http_,
                         {.refresh_margin = std::chrono::minutes(5), .clock = clock.Clock()});
  auto before = system_clock::now();
  AwsCredentials first = chain.Get();
  EXPECT_EQ(first.access_key_id, "ASIAFAKE00000001");
  EXPECT_TRUE(Contains(first.secret_access_key, "fakeSECRET/00000001"));
  EXPECT_TRUE(Contains(first.session_token, "fakeSESSIONTOKEN00000001"));
  EXPECT_EQ(first.source, std::string("instance metadata (IMDSv2), role ") + kRole);
  ASSERT_TRUE(first.expiration.has_value());
  EXPECT_GE(*first.expiration, before + std::chrono::hours(1));
  EXPECT_LE(*first.expiration,
            system_clock::now() + std::chrono::hours(1) + std::chrono::seconds(1));

  // Fresh for more than the margin: served from the cache, even a minute before the margin.
  clock.AdvanceTo(*first.expiration - std::chrono::minutes(6));
  EXPECT_EQ(chain.Get().access_key_id, "ASIAFAKE00000001");
  nlohmann::json stats = server.Stats();
  EXPECT_EQ(stats["log"],
            nlohmann::json({"PUT token ttl=21600 200", "GET role 200", "GET credentials 200"}));

  // Within the margin of their expiry: fetched again, with the same token.
  clock.AdvanceTo(*first.expiration - std::chrono::minutes(4));
  AwsCredentials second = chain.Get();
  EXPECT_EQ(second.access_key_id, "ASIAFAKE00000002");
  EXPECT_GE(*second.expiration, *first.expiration);  // issued within the same real second
  stats = server.Stats();
  EXPECT_EQ(stats["token_requests"], 1);
  EXPECT_EQ(stats["credential_requests"], 2);
  EXPECT_EQ(stats["rejected_requests"], 0);
}

TEST_F(CredentialsTest, InstanceMetadataTokenIsRenewedShortlyBeforeItEnds) {
  FakeMetadataServer server;
  ManualClock clock;
  // Every Get() refreshes (the margin is longer than the credentials live); tokens last 10 min
  // and are renewed a minute before they end.
  CredentialsChain chain(Environment({{"AWS_EC2_METADATA_DISABLED", "false"},
                                      {"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.endpoint()}}),
                         http_,
                         {.refresh_margin = std::chrono::hours(2),
                          .refresh_interval = std::chrono::milliseconds(0),
                          .imds_token_ttl_seconds = 600,
                          .clock = clock.Clock()});
  chain.Get();
  clock.Advance(std::chrono::seconds(539));
  chain.Get();
  EXPECT_EQ(server.Stats()["token_requests"], 1);
  clock.Advance(std::chrono::seconds(2));
  chain.Get();
  EXPECT_EQ(server.Stats()["token_requests"], 2);
  EXPECT_EQ(server.Stats()["rejected_requests"], 0);
}

TEST_F(CredentialsTest, InstanceMetadataTakesANewTokenAfterA401) {
  FakeMetadataServer server;
  // A margin longer than the credentials live: every Get() refreshes.
  CredentialsChain chain(Environment({{"AWS_EC2_METADATA_DISABLED", "false"},
                                      {"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.endpoint()}}),
                         http_,
                         {.refresh_margin = std::chrono::hours(2),
                          .refresh_interval = std::chrono::milliseconds(0),
                          .imds_token_ttl_seconds = 600});
  EXPECT_EQ(chain.Get().access_key_id, "ASIAFAKE00000001");
  EXPECT_EQ(chain.Get().access_key_id, "ASIAFAKE00000002");
  server.RevokeTokens();  // as when the instance's metadata service restarts
  EXPECT_EQ(chain.Get().access_key_id, "ASIAFAKE00000003");
  nlohmann::json stats = server.Stats();
  EXPECT_EQ(stats["log"],
            nlohmann::json({"PUT token ttl=600 200", "GET role 200", "GET credentials 200",
                            "GET role 200", "GET credentials 200",  //
                            "GET role 401", "PUT token ttl=600 200", "GET role 200",
                            "GET credentials 200"}));
}

TEST_F(CredentialsTest, FailedRefreshKeepsValidCredentialsUntilTheyExpire) {
  FakeMetadataServer server;  // credentials valid for an hour
  ManualClock clock;
  // A margin longer than the credentials live: every Get() wants a refresh.
  CredentialsChain chain(Environment({{"AWS_EC2_METADATA_DISABLED", "false"},
                                      {"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.endpoint()}}),
                         http_,
                         {.refresh_margin = std::chrono::hours(2),
                          .refresh_interval = std::chrono::seconds(10),
                          .clock = clock.Clock()});
  AwsCredentials first = chain.Get();
  EXPECT_EQ(first.access_key_id, "ASIAFAKE00000001");

  server.StartOutage();
  ::testing::internal::CaptureStderr();
  AwsCredentials kept = chain.Get();
  std::string warning = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(kept.access_key_id, "ASIAFAKE00000001");
  EXPECT_TRUE(Contains(warning,
                       "warning: cannot refresh the AWS credentials from instance "
                       "metadata (IMDSv2), role fruits-test-role (access key id "
                       "ASIAFAKE00000001)"));
  EXPECT_TRUE(Contains(warning, "HTTP 500"));
  EXPECT_TRUE(Contains(warning, "until they expire at"));
  EXPECT_TRUE(HoldsNoSecret(warning));
  int requests_in_outage = server.Stats()["role_requests"].get<int>() - 1;
  EXPECT_EQ(requests_in_outage, 2);  // one retry

  // Within refresh_interval of the failure: not asked again; once it has passed, asked again.
  clock.Advance(std::chrono::seconds(9));
  EXPECT_EQ(chain.Get().access_key_id, "ASIAFAKE00000001");
  EXPECT_EQ(server.Stats()["role_requests"], 3);
  ::testing::internal::CaptureStderr();
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ(chain.Get().access_key_id, "ASIAFAKE00000001");
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(server.Stats()["role_requests"], 5);

  // Expired and still no answer: an error, whatever the interval.
  clock.AdvanceTo(*first.expiration + std::chrono::milliseconds(1));
  std::string message = MessageOf([&] { chain.Get(); });
  EXPECT_TRUE(Contains(message, "(access key id ASIAFAKE00000001) expired at"));
  EXPECT_TRUE(Contains(message, "cannot be refreshed"));
  EXPECT_TRUE(HoldsNoSecret(message));

  server.EndOutage();
  EXPECT_EQ(chain.Get().access_key_id, "ASIAFAKE00000002");
}

TEST_F(CredentialsTest, ContainerFullUriWithAuthorizationToken) {
  FakeMetadataServer server({.auth_token = "container-auth-token"});
  ManualClock clock;
  std::string url = server.endpoint() + "/v2/credentials/pod";
  CredentialsChain chain(
      Environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", url},
                   {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token"}}),
      http_, {.refresh_margin = std::chrono::minutes(1), .clock = clock.Clock()});
  AwsCredentials first = chain.Get();
  EXPECT_EQ(first.access_key_id, "ASIAFAKE00000001");
  EXPECT_TRUE(Contains(first.session_token, "fakeSESSIONTOKEN"));
  EXPECT_EQ(first.source, "container endpoint " + url);
  ASSERT_TRUE(first.expiration.has_value());
  EXPECT_EQ(chain.Get().access_key_id, "ASIAFAKE00000001");
  EXPECT_EQ(server.Stats()["container_requests"], 1);

  clock.AdvanceTo(*first.expiration - std::chrono::seconds(30));
  EXPECT_EQ(chain.Get().access_key_id, "ASIAFAKE00000002");
  EXPECT_EQ(server.Stats()["container_requests"], 2);
}

TEST_F(CredentialsTest, ContainerTokenFileWinsAndIsReadAtEachFetch) {
  FakeMetadataServer server({.auth_token = "container-auth-token"});
  TempDir dir;
  std::string token_file = dir.File("token");
  std::ofstream(token_file) << "container-auth-token\n";  // the trailing newline is not sent
  CredentialsChain chain(
      Environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    "http://localhost:" + std::to_string(server.port()) + "/v2/credentials/x"},
                   {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "a-wrong-token"},
                   {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file}}),
      http_, {.refresh_margin = std::chrono::hours(2), .refresh_interval = {}});
  EXPECT_EQ(chain.Get().access_key_id, "ASIAFAKE00000001");

  // The token rotates to one the endpoint refuses: the refresh fails, the old keys stay.
  std::ofstream(token_file) << "rotated-token";
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(chain.Get().access_key_id, "ASIAFAKE00000001");
  std::string warning = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(Contains(warning, "HTTP 401"));
  EXPECT_TRUE(Lacks(warning, "rotated-token"));
  std::ofstream(token_file) << "container-auth-token";
  EXPECT_EQ(chain.Get().access_key_id, "ASIAFAKE00000002");
}

TEST_F(CredentialsTest, ContainerRefusalSaysWhyWithoutSecrets) {
  FakeMetadataServer server({.auth_token = "container-auth-token"});
  std::string message = MessageOf([&] {
    CredentialsChain(Environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                   server.endpoint() + "/v2/credentials/x"},
                                  {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "imds-token-wrong"}}),
                     http_)
        .Get();
  });
  EXPECT_TRUE(Contains(message, "the container credentials endpoint " + server.endpoint() +
                                    "/v2/credentials/x answers HTTP 401"));
  EXPECT_TRUE(Contains(message, "EKS Pod Identity association"));
  EXPECT_TRUE(HoldsNoSecret(message));

  message = MessageOf([&] {
    CredentialsChain(Environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/c"}}),
                     http_)
        .Get();
  });
  EXPECT_TRUE(Contains(message, "http://127.0.0.1:1/c does not answer"));

  message = MessageOf([&] {
    CredentialsChain(Environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/c"},
                                  {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/nonexistent/t"}}),
                     http_)
        .Get();
  });
  EXPECT_TRUE(Contains(message, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
}

TEST_F(CredentialsTest, ContainerFullUriMustStayOnTheAllowedHosts) {
  for (const char* url : {"http://example.com/creds", "https://169.254.170.3/creds",
                          "http://user@evil.example:80/169.254.170.2", "http://10.0.0.1/",
                          "http://[fd00:ec2::24]/"}) {
    std::string message = MessageOf([&] {
      CredentialsChain(Environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", url},
                                    {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token"}}),
                       http_)
          .Get();
    });
    EXPECT_TRUE(Contains(message,
                         "is neither a loopback address nor the ECS (169.254.170.2) or "
                         "EKS Pod Identity (169.254.170.23, fd00:ec2::23) endpoint"))
        << url;
    EXPECT_TRUE(HoldsNoSecret(message));
  }
  EXPECT_TRUE(Contains(
      MessageOf([&] {
        CredentialsChain(Environment({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "ftp://127.0.0.1/"}}),
                         http_)
            .Get();
      }),
      "is not an http:// or https:// URL"));
}

TEST_F(CredentialsTest, ContainerRelativeUriGoesToTheEcsEndpoint) {
  FakeMetadataServer server;
  CredentialsChain chain(
      Environment({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/task-id"},
                   // RELATIVE_URI wins when both are set, as in the AWS SDKs.
                   {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/"}}),
      http_, {.container_relative_endpoint = server.endpoint()});
  AwsCredentials credentials = chain.Get();
  EXPECT_EQ(credentials.access_key_id, "ASIAFAKE00000001");
  EXPECT_EQ(credentials.source,
            "container endpoint " + server.endpoint() + "/v2/credentials/task-id");
}

TEST_F(CredentialsTest, ConcurrentCallersShareOneFetch) {
  FakeMetadataServer server;
  CredentialsChain chain(Environment({{"AWS_EC2_METADATA_DISABLED", "false"},
                                      {"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.endpoint()}}),
                         http_);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (chain.Get().access_key_id != "ASIAFAKE00000001") ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(server.Stats()["credential_requests"], 1);
}

}  // namespace
}  // namespace fruits::storage
