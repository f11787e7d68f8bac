#include "storage/s3/aws_credentials.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <utility>

#include "storage/local_store.h"
#include "util/error.h"
#include "util/log.h"
#include "util/text.h"

namespace fruits::storage {

using SystemClock = std::chrono::system_clock;
using SteadyClock = std::chrono::steady_clock;

// Called with the chain's lock held, so implementations need no lock of their own.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // What the list of sources tried calls it.
  virtual std::string Name() const = 0;
  // Credentials, or why this source has none (not configured; for instance metadata, no
  // answer). Throws fruits::Error when the source is configured but wrong or failing.
  virtual Result<AwsCredentials> Fetch() = 0;
};

namespace {

constexpr char kRelativeUri[] = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
constexpr char kFullUri[] = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
constexpr char kImdsCredentialsPath[] = "/latest/meta-data/iam/security-credentials/";

std::string Join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string joined;
  for (const std::string& part : parts) joined += (joined.empty() ? "" : separator) + part;
  return joined;
}

std::string FormatTimestamp(SystemClock::time_point time) {
  std::time_t seconds = SystemClock::to_time_t(time);
  std::tm utc;
  ::gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// "HTTP 404" plus the start of the body on one line, for error answers only: a success body
// may hold a secret.
std::string DescribeStatus(const HttpResponse& response) {
  std::string text = "HTTP " + std::to_string(response.status);
  if (response.status >= 200 && response.status < 300) return text;
  std::string body(Trim(std::string_view(response.body).substr(0, 200)));
  std::replace_if(
      body.begin(), body.end(), [](unsigned char c) { return c < 0x20; }, ' ');
  return body.empty() ? text : text + ": " + body;
}

// One more try after no answer or a 5xx, and no more, so that a machine without the endpoint
// moves on quickly.
HttpOutcome SendWithOneRetry(HttpClient& http, const HttpRequest& request) {
  HttpOutcome outcome = http.Send(request);
  if (!outcome.ok() || outcome.value().status >= 500) outcome = http.Send(request);
  return outcome;
}

// The credentials in a container or instance metadata answer, or what is wrong with it (never
// quoting the body).
Result<AwsCredentials> ParseCredentialsJson(const std::string& body, std::string source) {
  using Failure = Result<AwsCredentials>;
  nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return Failure::Failure("the answer is not a JSON object");
  auto text = [&](const char* key) -> std::string {
    auto it = json.find(key);
    return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (json.contains("Code") && text("Code") != "Success") {
    std::string message = text("Message");
    return Failure::Failure("the answer's Code is '" + text("Code") + "'" +
                            (message.empty() ? "" : " (" + message + ")"));
  }
  AwsCredentials credentials{.access_key_id = text("AccessKeyId"),
                             .secret_access_key = text("SecretAccessKey"),
                             .session_token = text("Token"),
                             .source = std::move(source)};
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return Failure::Failure("the answer has no AccessKeyId or no SecretAccessKey");
  }
  if (std::string expiration = text("Expiration"); !expiration.empty()) {
    credentials.expiration = ParseAwsTimestamp(expiration);
    if (!credentials.expiration) {
      return Failure::Failure("the answer's Expiration '" + expiration +
                              "' is not an ISO-8601 time");
    }
  }
  return credentials;
}

// The host of an http(s) URL, lower case, without brackets for IPv6; "" when it has none.
std::string UrlHost(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return "";
  std::string authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    return close == std::string::npos ? "" : Lower(authority.substr(1, close - 1));
  }
  return Lower(authority.substr(0, authority.find(':')));
}

// Where the AWS SDKs let a container endpoint be, so that the authorization token goes nowhere
// else: loopback, the ECS endpoint and the EKS Pod Identity endpoints.
bool IsAllowedContainerHost(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4;
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    uint32_t address = ntohl(v4.s_addr);
    return (address >> 24) == 127 || host == "169.254.170.2" || host == "169.254.170.23";
  }
  in6_addr v6;
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    in6_addr eks;
    ::inet_pton(AF_INET6, "fd00:ec2::23", &eks);
    return IN6_IS_ADDR_LOOPBACK(&v6) || std::memcmp(&v6, &eks, sizeof(v6)) == 0;
  }
  return false;
}

std::string ReadTokenFile(const std::string& path) {
  Result<std::string> text = ReadLocalFile(path);
  if (!text.ok()) {
    throw Error("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE '" + path +
                "': " + text.error());
  }
  return std::move(text).value();
}

class EnvironmentProvider : public CredentialsProvider {
 public:
  explicit EnvironmentProvider(const AwsEnvironment& env) : env_(env) {}

  std::string Name() const override { return "environment"; }

  Result<AwsCredentials> Fetch() override {
    bool has_id = env_.Has("AWS_ACCESS_KEY_ID");
    bool has_secret = env_.Has("AWS_SECRET_ACCESS_KEY");
    if (has_id != has_secret) {
      throw Error(std::string(has_id
                                  ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                                  : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not") +
                  ": export both (and AWS_SESSION_TOKEN for temporary keys), or unset it to use "
                  "a profile or an IAM role");
    }
    if (has_id) {
      return AwsCredentials{.access_key_id = env_.Get("AWS_ACCESS_KEY_ID"),
                            .secret_access_key = env_.Get("AWS_SECRET_ACCESS_KEY"),
                            .session_token = env_.Get("AWS_SESSION_TOKEN"),
                            .source = "environment"};
    }
    // The AWS SDKs take IAM roles for service accounts (EKS) before the shared files: going on
    // would run as another identity.
    if (env_.Has("AWS_WEB_IDENTITY_TOKEN_FILE")) {
      throw Error(
          "AWS_WEB_IDENTITY_TOKEN_FILE is set (IAM roles for service accounts), which fruits "
          "does not support: use EKS Pod Identity instead, or export temporary keys with the AWS "
          "CLI first: eval \"$(aws configure export-credentials --format env)\"");
    }
    return Result<AwsCredentials>::Failure(
        std::string("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set") +
        (env_.Has("AWS_SESSION_TOKEN") ? " (AWS_SESSION_TOKEN alone is not enough)" : ""));
  }

 private:
  const AwsEnvironment& env_;
};

class SharedFilesProvider : public CredentialsProvider {
 public:
  explicit SharedFilesProvider(const AwsEnvironment& env) : env_(env) {}

  std::string Name() const override { return "shared files"; }

  Result<AwsCredentials> Fetch() override {
    Result<AwsProfileKeys> keys = ReadProfileKeys(LoadAwsProfile(env_));
    if (!keys.ok()) return Result<AwsCredentials>::Failure(keys.error());
    return AwsCredentials{.access_key_id = keys.value().access_key_id,
                          .secret_access_key = keys.value().secret_access_key,
                          .session_token = keys.value().session_token,
                          .source = keys.value().source};
  }

 private:
  const AwsEnvironment& env_;
};

class ContainerProvider : public CredentialsProvider {
 public:
  ContainerProvider(const AwsEnvironment& env, HttpClient& http, const CredentialsOptions& options)
      : env_(env), http_(http), options_(options) {}

  std::string Name() const override { return "container endpoint"; }

  Result<AwsCredentials> Fetch() override {
    HttpRequest request;
    if (env_.Has(kRelativeUri)) {
      std::string path = env_.Get(kRelativeUri);
      request.url =
          options_.container_relative_endpoint + (path.starts_with("/") ? "" : "/") + path;
    } else if (env_.Has(kFullUri)) {
      request.url = env_.Get(kFullUri);
      CheckFullUri(request.url);
    } else {
      return Result<AwsCredentials>::Failure(std::string(kRelativeUri) + " and " + kFullUri +
                                             " are not set");
    }
    if (std::string token = AuthorizationToken(); !token.empty()) {
      request.headers.emplace_back("Authorization", token);
    }
    std::string what = "the container credentials endpoint " + request.url;
    std::string advice =
        ": check the task's IAM role or the pod's EKS Pod Identity association, or unset " +
        std::string(env_.Has(kRelativeUri) ? kRelativeUri : kFullUri);
    HttpOutcome outcome = SendWithOneRetry(http_, request);
    if (!outcome.ok()) throw Error(what + " does not answer (" + outcome.error() + ")" + advice);
    if (outcome.value().status != 200) {
      throw Error(what + " answers " + DescribeStatus(outcome.value()) + advice);
    }
    Result<AwsCredentials> credentials =
        ParseCredentialsJson(outcome.value().body, "container endpoint " + request.url);
    if (!credentials.ok()) throw Error(what + " gives no credentials: " + credentials.error());
    return credentials;
  }

 private:
  static void CheckFullUri(const std::string& url) {
    std::string scheme = Lower(url.substr(0, url.find("://")));
    if (url.find("://") == std::string::npos || (scheme != "http" && scheme != "https")) {
      throw Error(std::string(kFullUri) + " '" + url +
                  "' is not an http:// or https:// URL: fix it or unset it");
    }
    std::string host = UrlHost(url);
    if (!IsAllowedContainerHost(host)) {
      throw Error(std::string(kFullUri) + " points at host '" + host +
                  "', which is neither a loopback address nor the ECS (169.254.170.2) or EKS Pod "
                  "Identity (169.254.170.23, fd00:ec2::23) endpoint; fruits refuses it, as the "
                  "AWS SDKs do, so that the authorization token goes nowhere else: fix it or "
                  "unset it");
    }
  }

  // Read at each fetch: EKS rotates the file.
  std::string AuthorizationToken() const {
    std::string token;
    if (env_.Has("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
      token = Trim(ReadTokenFile(env_.Get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")));
    } else {
      token = Trim(env_.Get("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
    }
    if (token.find_first_of("\r\n") != std::string::npos) {
      throw Error(std::string("the container authorization token (") +
                  (env_.Has("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
                       ? "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
                       : "AWS_CONTAINER_AUTHORIZATION_TOKEN") +
                  ") holds a line break, which cannot go in an HTTP header");
    }
    return token;
  }

  const AwsEnvironment& env_;
  HttpClient& http_;
  const CredentialsOptions& options_;
};

class InstanceMetadataProvider : public CredentialsProvider {
 public:
  InstanceMetadataProvider(const AwsEnvironment& env, HttpClient& http,
                           const CredentialsOptions& options)
      : env_(env), http_(http), options_(options) {
    endpoint_ = env_.Has("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                    ? env_.Get("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                    : "http://169.254.169.254";
    while (endpoint_.ends_with("/")) endpoint_.pop_back();
  }

  std::string Name() const override { return "instance metadata (IMDSv2)"; }

  Result<AwsCredentials> Fetch() override {
    using Failure = Result<AwsCredentials>;
    if (Lower(Trim(env_.Get("AWS_EC2_METADATA_DISABLED"))) == "true") {
      return Failure::Failure("AWS_EC2_METADATA_DISABLED is true");
    }
    HttpOutcome roles = GetWithToken(kImdsCredentialsPath);
    if (!roles.ok()) return Failure::Failure(roles.error());
    if (roles.value().status == 404) {
      return Failure::Failure(endpoint_ +
                              " has no IAM role for this instance (attach an instance profile)");
    }
    if (roles.value().status != 200) {
      return Failure::Failure(endpoint_ + " answers " + DescribeStatus(roles.value()) +
                              " when asked for the instance's IAM role");
    }
    std::string role(
        Trim(std::string_view(roles.value().body).substr(0, roles.value().body.find('\n'))));
    if (role.empty()) {
      return Failure::Failure(endpoint_ +
                              " has no IAM role for this instance (attach an instance profile)");
    }
    HttpOutcome answer = GetWithToken(kImdsCredentialsPath + role);
    if (!answer.ok()) return Failure::Failure(answer.error());
    if (answer.value().status != 200) {
      return Failure::Failure(endpoint_ + " answers HTTP " + std::to_string(answer.value().status) +
                              " when asked for the credentials of role " + role);
    }
    Result<AwsCredentials> credentials =
        ParseCredentialsJson(answer.value().body, "instance metadata (IMDSv2), role " + role);
    if (!credentials.ok()) {
      return Failure::Failure(endpoint_ + " gives no credentials for role " + role + ": " +
                              credentials.error());
    }
    return credentials;
  }

 private:
  // A GET with the session token; on a 401 (the token expired or the service restarted), one
  // more with a new token.
  HttpOutcome GetWithToken(const std::string& path) {
    for (int attempt = 0;; ++attempt) {
      Result<std::string> token = Token();
      if (!token.ok()) return HttpOutcome::Failure(token.error());
      HttpRequest request{.method = "GET",
                          .url = endpoint_ + path,
                          .headers = {{"X-aws-ec2-metadata-token", token.value()}}};
      HttpOutcome outcome = SendWithOneRetry(http_, request);
      if (!outcome.ok()) {
        return HttpOutcome::Failure("no answer from " + endpoint_ + " (" + outcome.error() + ")");
      }
      if (outcome.value().status != 401 || attempt == 1) return outcome;
      token_.reset();
    }
  }

  // The session token, fetched again shortly before it ends.
  Result<std::string> Token() {
    if (token_ && options_.clock.steady_now() < token_renewal_) return *token_;
    token_.reset();
    int ttl = std::clamp(options_.imds_token_ttl_seconds, 1, 21600);
    HttpRequest request{.method = "PUT",
                        .url = endpoint_ + "/latest/api/token",
                        .headers = {{"X-aws-ec2-metadata-token-ttl-seconds", std::to_string(ttl)}}};
    HttpOutcome outcome = SendWithOneRetry(http_, request);
    if (!outcome.ok()) {
      return Result<std::string>::Failure("no answer from " + endpoint_ + " (" + outcome.error() +
                                          "): not an EC2 instance, or its metadata service is off");
    }
    if (outcome.value().status != 200 || Trim(outcome.value().body).empty()) {
      return Result<std::string>::Failure(endpoint_ + " gives no IMDSv2 session token (HTTP " +
                                          std::to_string(outcome.value().status) + ")");
    }
    // The lifetime granted, which may be shorter than asked.
    std::string granted = outcome.value().Header("x-aws-ec2-metadata-token-ttl-seconds");
    if (!granted.empty() &&
        std::all_of(granted.begin(), granted.end(),
                    [](unsigned char c) { return std::isdigit(c) != 0; }) &&
        granted.size() < 9) {
      ttl = std::min(ttl, std::stoi(granted));
    }
    auto lifetime = std::chrono::seconds(ttl);
    token_renewal_ = options_.clock.steady_now() + lifetime -
                     std::min<SteadyClock::duration>(std::chrono::seconds(60), lifetime / 2);
    token_ = Trim(outcome.value().body);
    return *token_;
  }

  const AwsEnvironment& env_;
  HttpClient& http_;
  const CredentialsOptions& options_;
  std::string endpoint_;
  std::optional<std::string> token_;
  SteadyClock::time_point token_renewal_;
};

}  // namespace

std::optional<SystemClock::time_point> ParseAwsTimestamp(std::string_view text) {
  auto number = [&](size_t position, size_t length, int* value) {
    if (position + length > text.size()) return false;
    *value = 0;
    for (size_t i = position; i < position + length; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
      *value = *value * 10 + (text[i] - '0');
    }
    return true;
  };
  auto is = [&](size_t position, std::string_view characters) {
    return position < text.size() && characters.find(text[position]) != std::string_view::npos;
  };
  int year, month, day, hour, minute, second;
  if (!number(0, 4, &year) || !is(4, "-") || !number(5, 2, &month) || !is(7, "-") ||
      !number(8, 2, &day) || !is(10, "Tt") || !number(11, 2, &hour) || !is(13, ":") ||
      !number(14, 2, &minute) || !is(16, ":") || !number(17, 2, &second)) {
    return std::nullopt;
  }
  size_t position = 19;
  std::chrono::nanoseconds fraction{0};
  if (is(position, ".")) {
    size_t start = ++position;
    int64_t nanoseconds = 0;
    int digits = 0;
    for (; position < text.size() && std::isdigit(static_cast<unsigned char>(text[position]));
         ++position) {
      if (digits < 9) {
        nanoseconds = nanoseconds * 10 + (text[position] - '0');
        ++digits;
      }
    }
    if (position == start) return std::nullopt;
    for (; digits < 9; ++digits) nanoseconds *= 10;
    fraction = std::chrono::nanoseconds(nanoseconds);
  }
  int offset_seconds = 0;
  if (is(position, "Zz")) {
    ++position;
  } else if (is(position, "+-")) {
    int sign = text[position] == '-' ? -1 : 1;
    int offset_hours, offset_minutes;
    if (!number(position + 1, 2, &offset_hours)) return std::nullopt;
    position += 3;
    if (is(position, ":")) ++position;
    if (!number(position, 2, &offset_minutes)) return std::nullopt;
    position += 2;
    if (offset_hours > 23 || offset_minutes > 59) return std::nullopt;
    offset_seconds = sign * (offset_hours * 3600 + offset_minutes * 60);
  } else {
    return std::nullopt;
  }
  if (position != text.size()) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  std::tm fields{};
  fields.tm_year = year - 1900;
  fields.tm_mon = month - 1;
  fields.tm_mday = day;
  fields.tm_hour = hour;
  fields.tm_min = minute;
  fields.tm_sec = second;
  std::time_t seconds = ::timegm(&fields);
  // timegm() moves an impossible date (February 30) to a real one: refuse it instead.
  std::tm check;
  ::gmtime_r(&seconds, &check);
  if (check.tm_mday != day || check.tm_mon != month - 1) return std::nullopt;
  return SystemClock::from_time_t(seconds) - std::chrono::seconds(offset_seconds) +
         std::chrono::duration_cast<SystemClock::duration>(fraction);
}

HttpOptions MetadataHttpOptions() {
  // Never through a proxy: the SDKs do the same, and the answer holds credentials.
  return HttpOptions{.connect_timeout_seconds = 1,
                     .stall_timeout_seconds = 2,
                     .total_timeout_seconds = 5,
                     .use_environment_proxy = false};
}

CredentialsChain::CredentialsChain(AwsEnvironment environment, HttpClient& http,
                                   CredentialsOptions options)
    : environment_(std::move(environment)), options_(std::move(options)) {
  providers_.push_back(std::make_unique<EnvironmentProvider>(environment_));
  providers_.push_back(std::make_unique<SharedFilesProvider>(environment_));
  providers_.push_back(std::make_unique<ContainerProvider>(environment_, http, options_));
  providers_.push_back(std::make_unique<InstanceMetadataProvider>(environment_, http, options_));
}

CredentialsChain::~CredentialsChain() = default;

bool CredentialsChain::Fresh(const AwsCredentials& credentials, SystemClock::time_point now) const {
  return !credentials.expiration || *credentials.expiration - options_.refresh_margin > now;
}

AwsCredentials CredentialsChain::Get() {
  std::lock_guard lock(mutex_);
  SystemClock::time_point now = options_.clock.wall_now();
  if (cached_ && Fresh(*cached_, now)) return *cached_;
  if (provider_ == nullptr) {
    cached_ = Resolve();
    return *cached_;
  }
  // Refresh from the source that gave the cached credentials, which have an expiration (they
  // would be fresh otherwise).
  bool still_valid = *cached_->expiration > now;
  if (still_valid && last_refresh_attempt_ &&
      options_.clock.steady_now() - *last_refresh_attempt_ < options_.refresh_interval) {
    return *cached_;
  }
  last_refresh_attempt_ = options_.clock.steady_now();
  std::string reason;
  try {
    Result<AwsCredentials> fresh = provider_->Fetch();
    if (fresh.ok()) {
      cached_ = std::move(fresh).value();
      return *cached_;
    }
    reason = fresh.error();
  } catch (const Error& e) {
    reason = e.what();
  }
  std::string which = "the AWS credentials from " + cached_->source + " (access key id " +
                      cached_->access_key_id + ")";
  if (still_valid) {
    auto left = std::chrono::duration_cast<std::chrono::seconds>(*cached_->expiration - now);
    LogWarning("cannot refresh " + which + ": " + reason + "; using them until they expire at " +
               FormatTimestamp(*cached_->expiration) + " (in " + std::to_string(left.count()) +
               " s)");
    return *cached_;
  }
  throw Error(which + " expired at " + FormatTimestamp(*cached_->expiration) +
              " and cannot be refreshed: " + reason);
}

AwsCredentials CredentialsChain::Resolve() {
  std::vector<std::string> tried;
  for (const auto& provider : providers_) {
    Result<AwsCredentials> credentials = provider->Fetch();
    if (credentials.ok()) {
      provider_ = provider.get();
      last_refresh_attempt_.reset();
      return std::move(credentials).value();
    }
    tried.push_back(provider->Name() + ": " + credentials.error());
  }
  throw Error("no AWS credentials found (tried " + Join(tried, "; ") +
              "). Export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for "
              "temporary keys), set AWS_PROFILE to a profile of ~/.aws/credentials (see aws "
              "configure), or run on an EC2 instance, ECS task or EKS pod with an IAM role");
}

}  // namespace fruits::storage
