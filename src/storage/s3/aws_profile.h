// The AWS shared configuration: the environment variables the AWS tools read, the shared
// credentials file (~/.aws/credentials) and config file (~/.aws/config), the profile they select,
// and the region, each looked up in the order the AWS CLI uses.
//
// AwsEnvironment is a snapshot taken once (FromProcess) or filled by a test, so every lookup is a
// pure function of it and of the files. Everything here is safe to call from several threads (no
// shared state). A missing or unreachable file counts as empty; a file that exists but cannot be
// read or parsed throws fruits::Error naming the file and the line. A profile that asks for a
// way of getting credentials fruits does not implement (assumed roles, credential_process, IAM
// Identity Center, web identity) throws fruits::Error naming the profile, the key and the command
// that exports usable keys instead. Secrets never appear in a message.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "util/result.h"

namespace fruits::storage {

class AwsEnvironment {
 public:
  // Nothing set.
  AwsEnvironment() = default;
  // Exactly these variables; names as in the environment (e.g. "AWS_PROFILE", "HOME").
  explicit AwsEnvironment(std::map<std::string, std::string> variables);

  // The variables fruits uses (the AWS_* names the credential and region lookups read, and HOME)
  // as the process sees them now. Without HOME, the user's home folder from the password
  // database.
  static AwsEnvironment FromProcess();

  // The value, or "" when unset. An empty value counts as unset, as in the AWS CLI.
  const std::string& Get(const std::string& name) const;
  bool Has(const std::string& name) const { return !Get(name).empty(); }

  // AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials; AWS_CONFIG_FILE, else ~/.aws/config. A
  // leading "~/" is the HOME folder. "" when the variable is unset and there is no HOME.
  std::string CredentialsFilePath() const;
  std::string ConfigFilePath() const;
  // AWS_PROFILE, else "default".
  std::string ProfileName() const;
  // Whether AWS_PROFILE chose the profile (then a missing profile is an error, not a default).
  bool ProfileIsExplicit() const { return Has("AWS_PROFILE"); }

 private:
  std::string ExpandHome(const std::string& path) const;

  std::map<std::string, std::string> variables_;
};

// One INI file as the AWS tools read it: section name (whitespace trimmed, case kept) -> key
// (lower case) -> value (whitespace trimmed).
using IniSections = std::map<std::string, std::map<std::string, std::string>>;

// Parses the shared files' INI dialect: "[section]" headers; "key = value" lines (or
// "key: value", which the AWS CLI also reads); whole-line comments starting with '#' or ';'; a
// comment after a value only when a space or tab precedes its '#' or ';' (so "abc#def" is one
// value), as the AWS SDKs read them; an indented line continues the value above it (nested settings
// such as "s3 =" stay inside it); a section given twice is merged, the later value of a key
// winning. `source` names the text in messages. Throws fruits::Error (with the source and line
// number) on a line that is none of these or a setting before the first section.
IniSections ParseIni(std::string_view text, const std::string& source);

// One profile as the two shared files describe it: section "[NAME]" of the credentials file and
// "[profile NAME]" of the config file ("[default]" too for the default profile, where
// "[profile default]" wins over it).
struct AwsProfile {
  std::string name;
  // Whether AWS_PROFILE named it.
  bool is_explicit = false;
  // The files' paths ("" when there is no HOME to find them) and the profile's settings in each,
  // keys in lower case.
  std::string credentials_file;
  std::string config_file;
  bool in_credentials_file = false;
  bool in_config_file = false;
  std::map<std::string, std::string> credentials_file_settings;
  std::map<std::string, std::string> config_file_settings;

  // The credentials file's value, else the config file's (the AWS CLI's precedence); "" when
  // neither sets `key` (lower case).
  std::string Get(const std::string& key) const;
  // "profile NAME in PATH" for the file whose value Get(key) returns.
  std::string Where(const std::string& key) const;
};

// Reads both files for env.ProfileName(). A profile in neither file is returned empty (the
// callers decide whether that matters). Throws fruits::Error on a file that exists but cannot be
// read or parsed.
AwsProfile LoadAwsProfile(const AwsEnvironment& env);

// The static keys a profile holds.
struct AwsProfileKeys {
  std::string access_key_id;
  std::string secret_access_key;
  // "" for long-term keys.
  std::string session_token;
  // "profile NAME in PATH".
  std::string source;
};

// The profile's static keys, looked for as the AWS CLI does: the credentials file, then the
// config file. A failure (the credential chain then tries its next source) when the profile has
// no keys or is in neither file and was not chosen by AWS_PROFILE. Throws fruits::Error when
// AWS_PROFILE names a profile that is in neither file, when a file holds one of
// aws_access_key_id and aws_secret_access_key without the other, and when the profile asks for
// what fruits does not support (role_arn, source_profile, credential_source,
// web_identity_token_file, sso_*, credential_process) before any keys it holds would be used;
// the message names the profile, the key and the command to export usable keys.
Result<AwsProfileKeys> ReadProfileKeys(const AwsProfile& profile);

// eu-west-3 (Paris): data stays in the EU unless the user names another region.
inline constexpr std::string_view kDefaultAwsRegion = "eu-west-3";

struct AwsRegion {
  std::string region;
  // "AWS_REGION", "AWS_DEFAULT_REGION", "profile NAME in PATH" or "default".
  std::string source;
};

// AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region (credentials file, then config
// file, as in the AWS CLI), else kDefaultAwsRegion. A missing profile is not an error here.
// Throws fruits::Error only when it must read a file that exists but cannot be read or parsed.
AwsRegion ResolveRegion(const AwsEnvironment& env);

}  // namespace fruits::storage
