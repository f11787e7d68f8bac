#include "storage/s3/aws_profile.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "storage/local_store.h"
#include "util/error.h"
#include "util/text.h"

namespace fruits::storage {
namespace {

// Every variable a lookup in aws_profile.cc or aws_credentials.cc reads. (The endpoint overrides,
// AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL, are read by the command line: cli/s3_flags.cc.)
constexpr std::array<const char*, 16> kVariables = {
    "HOME",
    "AWS_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
};

// `text` without a trailing comment: a '#' or ';' with a space or tab before it, as the AWS SDKs
// read values ("abc#def" stays whole; secrets may hold such characters).
std::string_view StripValueComment(std::string_view text) {
  for (size_t i = 1; i < text.size(); ++i) {
    if ((text[i] == '#' || text[i] == ';') && (text[i - 1] == ' ' || text[i - 1] == '\t')) {
      return text.substr(0, i);
    }
  }
  return text;
}

// The file's bytes, or nothing when there is no file to read (absent, or behind a folder we may
// not enter: then it is not ours). Throws when the file is there but cannot be read.
std::optional<std::string> ReadIfPresent(const std::string& path) {
  if (path.empty()) return std::nullopt;
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  if (S_ISDIR(info.st_mode)) {
    throw Error("'" + path + "' is a folder, not an AWS shared credentials or config file");
  }
  Result<std::string> text = ReadLocalFile(path);
  if (!text.ok()) {
    throw Error("cannot read '" + path + "': " + text.error() +
                " (fix its permissions, or point AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE "
                "elsewhere)");
  }
  return std::move(text).value();
}

// The profile a config file section describes ("default", "profile NAME"), or "" for the other
// sections ("sso-session NAME", "services NAME"...).
std::string ConfigSectionProfile(const std::string& section) {
  if (section == "default") return section;
  constexpr std::string_view kPrefix = "profile";
  if (section.size() > kPrefix.size() && section.starts_with(kPrefix) &&
      std::isspace(static_cast<unsigned char>(section[kPrefix.size()]))) {
    return std::string(Trim(std::string_view(section).substr(kPrefix.size())));
  }
  return "";
}

std::string Value(const std::map<std::string, std::string>& settings, const std::string& key) {
  auto it = settings.find(key);
  return it == settings.end() ? std::string() : it->second;
}

std::string ExportAdvice(const std::string& profile) {
  return "eval \"$(aws configure export-credentials --profile " + profile + " --format env)\"";
}

// The keys of one file's section, or nothing when it holds neither of the pair.
std::optional<AwsProfileKeys> KeysIn(const std::map<std::string, std::string>& settings,
                                     const std::string& profile, const std::string& path) {
  std::string id = Value(settings, "aws_access_key_id");
  std::string secret = Value(settings, "aws_secret_access_key");
  if (id.empty() && secret.empty()) return std::nullopt;
  std::string where = "profile '" + profile + "' in '" + path + "'";
  if (id.empty() || secret.empty()) {
    throw Error(where + " has " +
                (id.empty() ? "aws_secret_access_key but no aws_access_key_id"
                            : "aws_access_key_id but no aws_secret_access_key") +
                ": add the missing key (aws configure --profile " + profile +
                ") or remove the other");
  }
  std::string token = Value(settings, "aws_session_token");
  // The name boto2 used, which the AWS CLI still reads.
  if (token.empty()) token = Value(settings, "aws_security_token");
  return AwsProfileKeys{.access_key_id = id,
                        .secret_access_key = secret,
                        .session_token = token,
                        .source = "profile " + profile + " in " + path};
}

[[noreturn]] void ThrowUnsupported(const AwsProfile& profile, const std::string& key,
                                   const std::string& what, const std::string& before) {
  throw Error("profile '" + profile.name + "' in '" +
              (profile.credentials_file_settings.contains(key) ? profile.credentials_file
                                                               : profile.config_file) +
              "' sets " + key + " (" + what +
              "), which fruits does not support: export temporary keys with the AWS CLI "
              "first, then run fruits again: " +
              before + ExportAdvice(profile.name));
}

// Ways of getting credentials the AWS CLI would use before the credentials file's keys.
void RefuseRolesAndSso(const AwsProfile& profile) {
  for (const char* key :
       {"web_identity_token_file", "role_arn", "source_profile", "credential_source"}) {
    if (!profile.Get(key).empty()) {
      ThrowUnsupported(profile, key,
                       std::string(key) == "web_identity_token_file"
                           ? "assume a role with a web identity token"
                           : "assume an IAM role",
                       "");
    }
  }
  for (const auto* settings : {&profile.credentials_file_settings, &profile.config_file_settings}) {
    for (const auto& [key, value] : *settings) {
      if (key.starts_with("sso_") && !value.empty()) {
        ThrowUnsupported(profile, key, "IAM Identity Center single sign-on",
                         "aws sso login --profile " + profile.name + " && ");
      }
    }
  }
}

}  // namespace

AwsEnvironment::AwsEnvironment(std::map<std::string, std::string> variables)
    : variables_(std::move(variables)) {}

AwsEnvironment AwsEnvironment::FromProcess() {
  std::map<std::string, std::string> variables;
  for (const char* name : kVariables) {
    if (const char* value = std::getenv(name); value != nullptr) variables[name] = value;
  }
  if (variables["HOME"].empty()) {
    std::vector<char> buffer(16384);
    passwd entry;
    passwd* found = nullptr;
    if (::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 &&
        found != nullptr && found->pw_dir != nullptr) {
      variables["HOME"] = found->pw_dir;
    }
  }
  return AwsEnvironment(std::move(variables));
}

const std::string& AwsEnvironment::Get(const std::string& name) const {
  static const std::string kUnset;
  auto it = variables_.find(name);
  return it == variables_.end() ? kUnset : it->second;
}

std::string AwsEnvironment::ExpandHome(const std::string& path) const {
  if (path == "~" || path.starts_with("~/")) {
    if (!Has("HOME")) return "";
    return Get("HOME") + path.substr(1);
  }
  return path;
}

std::string AwsEnvironment::CredentialsFilePath() const {
  return ExpandHome(Has("AWS_SHARED_CREDENTIALS_FILE") ? Get("AWS_SHARED_CREDENTIALS_FILE")
                                                       : "~/.aws/credentials");
}

std::string AwsEnvironment::ConfigFilePath() const {
  return ExpandHome(Has("AWS_CONFIG_FILE") ? Get("AWS_CONFIG_FILE") : "~/.aws/config");
}

std::string AwsEnvironment::ProfileName() const {
  return Has("AWS_PROFILE") ? Get("AWS_PROFILE") : "default";
}

IniSections ParseIni(std::string_view text, const std::string& source) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark
  IniSections sections;
  std::map<std::string, std::string>* section = nullptr;
  // The value an indented line continues.
  std::string* value = nullptr;
  int line_number = 0;
  // Messages give the line number, never the line: it may hold a secret.
  auto fail = [&](const std::string& what) {
    throw Error("'" + source + "' line " + std::to_string(line_number) + ": " + what);
  };
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view raw = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    std::string_view line = Trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if ((raw[0] == ' ' || raw[0] == '\t') && value != nullptr) {
      std::string_view continuation = Trim(StripValueComment(raw));
      value->reserve(value->size() + 1 + continuation.size());
      value->push_back('\n');
      value->append(continuation.data(), continuation.size());
      continue;
    }
    if (line[0] == '[') {
      size_t close = line.find(']');
      if (close == std::string_view::npos) fail("a section header without its closing ']'");
      std::string_view after = Trim(line.substr(close + 1));
      if (!after.empty() && after[0] != '#' && after[0] != ';') {
        fail("unexpected text after the section header");
      }
      std::string name(Trim(line.substr(1, close - 1)));
      if (name.empty()) fail("a section header without a name");
      section = &sections[name];
      value = nullptr;
      continue;
    }
    size_t delimiter = line.find_first_of("=:");
    if (delimiter == std::string_view::npos) {
      fail("expected \"key = value\", a [section] header or a comment");
    }
    if (section == nullptr) fail("a setting before the first [section] header");
    std::string key = Lower(Trim(line.substr(0, delimiter)));
    if (key.empty()) fail("a setting without a name before its '='");
    value = &(*section)[key];
    *value = std::string(Trim(StripValueComment(line.substr(delimiter + 1))));
  }
  return sections;
}

std::string AwsProfile::Get(const std::string& key) const {
  std::string value = Value(credentials_file_settings, key);
  return value.empty() ? Value(config_file_settings, key) : value;
}

std::string AwsProfile::Where(const std::string& key) const {
  return "profile " + name + " in " +
         (Value(credentials_file_settings, key).empty() ? config_file : credentials_file);
}

AwsProfile LoadAwsProfile(const AwsEnvironment& env) {
  AwsProfile profile{.name = env.ProfileName(),
                     .is_explicit = env.ProfileIsExplicit(),
                     .credentials_file = env.CredentialsFilePath(),
                     .config_file = env.ConfigFilePath()};
  if (std::optional<std::string> text = ReadIfPresent(profile.credentials_file)) {
    IniSections sections = ParseIni(*text, profile.credentials_file);
    if (auto it = sections.find(profile.name); it != sections.end()) {
      profile.in_credentials_file = true;
      profile.credentials_file_settings = std::move(it->second);
    }
  }
  if (std::optional<std::string> text = ReadIfPresent(profile.config_file)) {
    IniSections sections = ParseIni(*text, profile.config_file);
    // "[default]" first, so that "[profile default]" overrides it.
    if (profile.name == "default") {
      if (auto it = sections.find("default"); it != sections.end()) {
        profile.in_config_file = true;
        profile.config_file_settings = it->second;
      }
    }
    for (auto& [section, settings] : sections) {
      if (section == "default" || ConfigSectionProfile(section) != profile.name) continue;
      profile.in_config_file = true;
      for (auto& [key, value] : settings) profile.config_file_settings[key] = value;
    }
  }
  return profile;
}

Result<AwsProfileKeys> ReadProfileKeys(const AwsProfile& profile) {
  std::string in_files = "'" + profile.credentials_file + "' (as [" + profile.name + "]) or '" +
                         profile.config_file + "' (as [" +
                         (profile.name == "default" ? "default" : "profile " + profile.name) + "])";
  if (!profile.in_credentials_file && !profile.in_config_file) {
    if (profile.credentials_file.empty() && profile.config_file.empty()) {
      in_files = "the shared files (no HOME to find them in)";
    }
    if (profile.is_explicit) {
      throw Error("AWS_PROFILE is '" + profile.name + "' but there is no such profile in " +
                  in_files + ": create it (aws configure --profile " + profile.name +
                  ") or unset AWS_PROFILE");
    }
    return Result<AwsProfileKeys>::Failure("no profile '" + profile.name + "' in " + in_files);
  }
  RefuseRolesAndSso(profile);
  if (auto keys =
          KeysIn(profile.credentials_file_settings, profile.name, profile.credentials_file)) {
    return *keys;
  }
  if (!profile.Get("credential_process").empty()) {
    ThrowUnsupported(profile, "credential_process", "run a program for credentials", "");
  }
  if (auto keys = KeysIn(profile.config_file_settings, profile.name, profile.config_file)) {
    return *keys;
  }
  return Result<AwsProfileKeys>::Failure("profile '" + profile.name +
                                         "' has no aws_access_key_id in " + in_files);
}

AwsRegion ResolveRegion(const AwsEnvironment& env) {
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (env.Has(name)) return AwsRegion{.region = env.Get(name), .source = name};
  }
  AwsProfile profile = LoadAwsProfile(env);
  if (std::string region = profile.Get("region"); !region.empty()) {
    return AwsRegion{.region = region, .source = profile.Where("region")};
  }
  return AwsRegion{.region = std::string(kDefaultAwsRegion), .source = "default"};
}

}  // namespace fruits::storage
