#include "storage/s3/aws_profile.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include "support/temp_dir.h"
#include "support/text_assertions.h"
#include "util/error.h"

namespace fruits::storage {
namespace {

using fruits::testing::TempDir;
using Vars = std::map<std::string, std::string>;

using fruits::testing::Contains;
using fruits::testing::Lacks;
using fruits::testing::MessageOf;

// A HOME folder with ~/.aws/credentials and ~/.aws/config as given ("" leaves a file out).
class AwsHome {
 public:
  AwsHome(const std::string& credentials, const std::string& config) {
    std::filesystem::create_directories(dir_.path() / ".aws");
    if (!credentials.empty()) Write(credentials_file(), credentials);
    if (!config.empty()) Write(config_file(), config);
  }

  std::string home() const { return dir_.path().string(); }
  std::string credentials_file() const { return dir_.File(".aws/credentials"); }
  std::string config_file() const { return dir_.File(".aws/config"); }
  std::string File(const std::string& name) const { return dir_.File(name); }

  // HOME plus `more`.
  AwsEnvironment Environment(std::map<std::string, std::string> more = {}) const {
    more["HOME"] = home();
    return AwsEnvironment(std::move(more));
  }

  static void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

 private:
  TempDir dir_;
};

TEST(ParseIni, SectionsKeysValuesAndComments) {
  IniSections sections = ParseIni(
      "\xEF\xBB\xBF# a comment\r\n"
      "; another comment\n"
      "\n"
      "  [ default ]   # a comment after a header\n"
      "AWS_Access_Key_ID   =   AKIDEXAMPLE  \n"
      "aws_secret_access_key=abc#def;ghi\n"
      "region = eu-west-3 # Paris\n"
      "output = json\t; a comment after a tab\n"
      "colon_style: yes\n"
      "empty =\n"
      "arn = arn:aws:iam::123456789012:role/x\n"
      "[profile dev]\n"
      "Region = US-East-1\r\n",
      "test.ini");
  ASSERT_EQ(sections.size(), 2u);
  const auto& defaults = sections.at("default");
  EXPECT_EQ(defaults.at("aws_access_key_id"), "AKIDEXAMPLE");      // key in lower case
  EXPECT_EQ(defaults.at("aws_secret_access_key"), "abc#def;ghi");  // no space: not a comment
  EXPECT_EQ(defaults.at("region"), "eu-west-3");
  EXPECT_EQ(defaults.at("output"), "json");
  EXPECT_EQ(defaults.at("colon_style"), "yes");
  EXPECT_EQ(defaults.at("empty"), "");
  EXPECT_EQ(defaults.at("arn"), "arn:aws:iam::123456789012:role/x");
  EXPECT_EQ(sections.at("profile dev").at("region"), "US-East-1");  // values keep their case
}

TEST(ParseIni, IndentedLinesContinueTheValueAbove) {
  IniSections sections = ParseIni(
      "[default]\n"
      "s3 =\n"
      "    region = us-east-1\n"
      "    max_concurrent_requests = 20\n"
      "  # a comment inside the block\n"
      "region = eu-west-1\n"
      "[other]\n"
      "  indented = first setting\n",  // nothing above to continue: a setting of its own
      "test.ini");
  const auto& defaults = sections.at("default");
  EXPECT_EQ(defaults.at("region"), "eu-west-1");  // the nested region stays inside "s3"
  EXPECT_EQ(defaults.at("s3"), "\nregion = us-east-1\nmax_concurrent_requests = 20");
  EXPECT_EQ(sections.at("other").at("indented"), "first setting");
}

TEST(ParseIni, RepeatedSectionsMergeAndTheLaterValueWins) {
  IniSections sections = ParseIni(
      "[a]\nx = 1\ny = 1\n"
      "[b]\nz = 3\n"
      "[a]\ny = 2\nY = 3\n",
      "test.ini");
  EXPECT_EQ(sections.at("a").at("x"), "1");
  EXPECT_EQ(sections.at("a").at("y"), "3");  // keys are case-insensitive
  EXPECT_EQ(sections.at("b").at("z"), "3");
}

TEST(ParseIni, BadLinesNameTheFileAndLineButNotTheirText) {
  std::string message =
      MessageOf([] { ParseIni("[default]\nregion = x\nwJalrXUtnFEMI/K7MDENG\n", "/tmp/creds"); });
  EXPECT_TRUE(Contains(message, "'/tmp/creds' line 3"));
  EXPECT_TRUE(Lacks(message, "wJalrXUtnFEMI"));  // maybe a pasted secret

  EXPECT_TRUE(
      Contains(MessageOf([] { ParseIni("region = x\n", "f"); }), "before the first [section]"));
  EXPECT_TRUE(Contains(MessageOf([] { ParseIni("# c\n[default\n", "f"); }), "line 2"));
  EXPECT_TRUE(Contains(MessageOf([] { ParseIni("[]\n", "f"); }), "without a name"));
  EXPECT_TRUE(Contains(MessageOf([] { ParseIni("[a] b\n", "f"); }), "after the section header"));
  EXPECT_TRUE(Contains(MessageOf([] { ParseIni("[a]\n= value\n", "f"); }), "without a name"));
  EXPECT_TRUE(ParseIni("", "f").empty());
}

TEST(AwsEnvironment, FileLocationsAndProfileName) {
  AwsEnvironment plain(Vars{{"HOME", "/home/me"}});
  EXPECT_EQ(plain.CredentialsFilePath(), "/home/me/.aws/credentials");
  EXPECT_EQ(plain.ConfigFilePath(), "/home/me/.aws/config");
  EXPECT_EQ(plain.ProfileName(), "default");
  EXPECT_FALSE(plain.ProfileIsExplicit());

  AwsEnvironment custom(Vars{{"HOME", "/home/me"},
                             {"AWS_SHARED_CREDENTIALS_FILE", "~/secrets/creds"},
                             {"AWS_CONFIG_FILE", "/etc/aws.conf"},
                             {"AWS_PROFILE", "dev"}});
  EXPECT_EQ(custom.CredentialsFilePath(), "/home/me/secrets/creds");
  EXPECT_EQ(custom.ConfigFilePath(), "/etc/aws.conf");
  EXPECT_EQ(custom.ProfileName(), "dev");
  EXPECT_TRUE(custom.ProfileIsExplicit());

  // Empty means unset, as in the AWS CLI; without HOME there is no default location.
  AwsEnvironment empty(Vars{{"AWS_PROFILE", ""}, {"AWS_CONFIG_FILE", ""}});
  EXPECT_EQ(empty.ProfileName(), "default");
  EXPECT_EQ(empty.ConfigFilePath(), "");
  EXPECT_EQ(empty.CredentialsFilePath(), "");
  EXPECT_EQ(empty.Get("AWS_REGION"), "");
  EXPECT_FALSE(empty.Has("AWS_PROFILE"));
}

TEST(AwsEnvironment, FromProcessReadsTheVariablesWeUse) {
  AwsEnvironment env = AwsEnvironment::FromProcess();
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') {
    EXPECT_EQ(env.Get("HOME"), home);
  }
  EXPECT_TRUE(env.Has("HOME"));   // from the password database at worst
  EXPECT_FALSE(env.Has("PATH"));  // only the variables fruits reads
}

TEST(LoadAwsProfile, ProfileSectionsOfEachFile) {
  AwsHome home(
      "[default]\naws_access_key_id = AKIDDEFAULT\n"
      "[dev]\naws_access_key_id = AKIDDEV\n"
      "[profile ops]\naws_access_key_id = AKIDWRONG\n",  // the credentials file has no prefix
      "[default]\nregion = us-west-1\noutput = text\n"
      "[profile default]\nregion = eu-central-1\n"  // wins over [default]
      "[profile   dev ]\nregion = eu-west-1\n"
      "[dev]\nregion = us-east-2\n"  // no "profile ": not a profile in the config file
      "[sso-session corp]\nsso_region = eu-west-1\n"
      "[profile ops]\nregion = ap-south-1\n");
  AwsProfile defaults = LoadAwsProfile(home.Environment());
  EXPECT_EQ(defaults.name, "default");
  EXPECT_TRUE(defaults.in_credentials_file);
  EXPECT_TRUE(defaults.in_config_file);
  EXPECT_EQ(defaults.Get("region"), "eu-central-1");
  EXPECT_EQ(defaults.Get("output"), "text");
  EXPECT_EQ(defaults.Where("region"), "profile default in " + home.config_file());
  EXPECT_EQ(defaults.Where("aws_access_key_id"), "profile default in " + home.credentials_file());

  AwsProfile dev = LoadAwsProfile(home.Environment({{"AWS_PROFILE", "dev"}}));
  EXPECT_TRUE(dev.is_explicit);
  EXPECT_EQ(dev.Get("aws_access_key_id"), "AKIDDEV");
  EXPECT_EQ(dev.Get("region"), "eu-west-1");

  AwsProfile ops = LoadAwsProfile(home.Environment({{"AWS_PROFILE", "ops"}}));
  EXPECT_FALSE(ops.in_credentials_file);
  EXPECT_TRUE(ops.in_config_file);
  EXPECT_EQ(ops.Get("aws_access_key_id"), "");

  AwsProfile none = LoadAwsProfile(home.Environment({{"AWS_PROFILE", "corp"}}));
  EXPECT_FALSE(none.in_credentials_file);
  EXPECT_FALSE(none.in_config_file);
}

TEST(LoadAwsProfile, MissingFilesAreEmptyButBrokenOnesAreErrors) {
  AwsHome home("", "");
  AwsProfile profile = LoadAwsProfile(home.Environment());
  EXPECT_FALSE(profile.in_credentials_file);
  EXPECT_FALSE(profile.in_config_file);

  AwsHome::Write(home.config_file(), "[default]\nregion\n");
  EXPECT_TRUE(Contains(MessageOf([&] { LoadAwsProfile(home.Environment()); }),
                       "'" + home.config_file() + "' line 2"));

  std::filesystem::create_directories(home.File("folder"));
  EXPECT_TRUE(Contains(
      MessageOf([&] {
        LoadAwsProfile(home.Environment({{"AWS_SHARED_CREDENTIALS_FILE", home.File("folder")}}));
      }),
      "is a folder"));
}

TEST(ReadProfileKeys, KeysFromTheCredentialsFileFirst) {
  AwsHome home(
      "[default]\n"
      "aws_access_key_id = AKIDCREDS\n"
      "aws_secret_access_key = secretFromCredentials\n"
      "aws_session_token = tokenFromCredentials\n",
      "[default]\n"
      "aws_access_key_id = AKIDCONFIG\n"
      "aws_secret_access_key = secretFromConfig\n"
      "[profile cfg]\n"
      "aws_access_key_id = AKIDCFG\n"
      "aws_secret_access_key = secretCfg\n"
      "aws_security_token = legacyToken\n");
  Result<AwsProfileKeys> keys = ReadProfileKeys(LoadAwsProfile(home.Environment()));
  ASSERT_TRUE(keys.ok()) << keys.error();
  EXPECT_EQ(keys.value().access_key_id, "AKIDCREDS");
  EXPECT_EQ(keys.value().secret_access_key, "secretFromCredentials");
  EXPECT_EQ(keys.value().session_token, "tokenFromCredentials");
  EXPECT_EQ(keys.value().source, "profile default in " + home.credentials_file());

  keys = ReadProfileKeys(LoadAwsProfile(home.Environment({{"AWS_PROFILE", "cfg"}})));
  ASSERT_TRUE(keys.ok()) << keys.error();
  EXPECT_EQ(keys.value().access_key_id, "AKIDCFG");
  EXPECT_EQ(keys.value().session_token, "legacyToken");
  EXPECT_EQ(keys.value().source, "profile cfg in " + home.config_file());
}

TEST(ReadProfileKeys, AbsentProfilesAndProfilesWithoutKeys) {
  AwsHome home("", "[default]\nregion = eu-west-3\n[profile empty]\nregion = eu-west-1\n");
  // The default profile without keys: the chain goes on (instance roles need no profile).
  Result<AwsProfileKeys> keys = ReadProfileKeys(LoadAwsProfile(home.Environment()));
  ASSERT_FALSE(keys.ok());
  EXPECT_TRUE(Contains(keys.error(), "no aws_access_key_id"));

  AwsHome nothing("", "");
  keys = ReadProfileKeys(LoadAwsProfile(nothing.Environment()));
  ASSERT_FALSE(keys.ok());
  EXPECT_TRUE(Contains(keys.error(), "no profile 'default'"));
  EXPECT_TRUE(Contains(keys.error(), nothing.credentials_file()));

  // A profile the user named must exist.
  std::string message = MessageOf([&] {
    ReadProfileKeys(LoadAwsProfile(home.Environment({{"AWS_PROFILE", "prod"}})));
  });
  EXPECT_TRUE(Contains(message, "AWS_PROFILE is 'prod'"));
  EXPECT_TRUE(Contains(message, "[profile prod]"));
  EXPECT_TRUE(Contains(message, "aws configure --profile prod"));

  // Named, present, but without keys: the chain goes on.
  keys = ReadProfileKeys(LoadAwsProfile(home.Environment({{"AWS_PROFILE", "empty"}})));
  EXPECT_FALSE(keys.ok());
}

TEST(ReadProfileKeys, HalfAKeyPairSaysWhichIsMissingWithoutTheSecret) {
  AwsHome home(
      "[default]\naws_secret_access_key = wJalrXUtnFEMIK7MDENGbPxRfiCY\n"
      "[idonly]\naws_access_key_id = AKIDONLY\n",
      "");
  std::string message = MessageOf([&] { ReadProfileKeys(LoadAwsProfile(home.Environment())); });
  EXPECT_TRUE(Contains(message, "no aws_access_key_id"));
  EXPECT_TRUE(Contains(message, home.credentials_file()));
  EXPECT_TRUE(Lacks(message, "wJalrXUtnFEMIK7MDENGbPxRfiCY"));

  message = MessageOf([&] {
    ReadProfileKeys(LoadAwsProfile(home.Environment({{"AWS_PROFILE", "idonly"}})));
  });
  EXPECT_TRUE(Contains(message, "'idonly'"));
  EXPECT_TRUE(Contains(message, "no aws_secret_access_key"));
}

struct UnsupportedCase {
  std::string config;
  std::string key;
  std::string extra_advice;
};

void PrintTo(const UnsupportedCase& c, std::ostream* out) { *out << c.key; }

class UnsupportedProfile : public ::testing::TestWithParam<UnsupportedCase> {};

TEST_P(UnsupportedProfile, SaysWhichProfileAndKeyAndHowToExportKeys) {
  AwsHome home("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = secretBase\n",
               "[profile dev]\n" + GetParam().config);
  std::string message = MessageOf([&] {
    ReadProfileKeys(LoadAwsProfile(home.Environment({{"AWS_PROFILE", "dev"}})));
  });
  EXPECT_TRUE(Contains(message, "profile 'dev'"));
  EXPECT_TRUE(Contains(message, home.config_file()));
  EXPECT_TRUE(Contains(message, "sets " + GetParam().key));
  EXPECT_TRUE(Contains(message, "does not support"));
  EXPECT_TRUE(Contains(message, GetParam().extra_advice +
                                    "eval \"$(aws configure export-credentials --profile dev "
                                    "--format env)\""));
  EXPECT_TRUE(Lacks(message, "secretBase"));
}

INSTANTIATE_TEST_SUITE_P(
    Keys, UnsupportedProfile,
    ::testing::Values(
        UnsupportedCase{"role_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = base\n",
                        "role_arn", ""},
        UnsupportedCase{"source_profile = base\n", "source_profile", ""},
        UnsupportedCase{
            "role_arn = arn:aws:iam::1:role/r\ncredential_source = Ec2InstanceMetadata\n",
            "role_arn", ""},
        UnsupportedCase{"credential_process = /usr/bin/get-creds --json\n", "credential_process",
                        ""},
        UnsupportedCase{"sso_start_url = https://corp.awsapps.com/start\nsso_account_id = 1\n"
                        "sso_role_name = Dev\nsso_region = eu-west-1\n",
                        "sso_", "aws sso login --profile dev && "},
        UnsupportedCase{"sso_session = corp\nsso_account_id = 1\n", "sso_",
                        "aws sso login --profile dev && "},
        UnsupportedCase{
            "web_identity_token_file = /var/run/token\nrole_arn = arn:aws:iam::1:role/r\n",
            "web_identity_token_file", ""}));

TEST(ReadProfileKeys, CredentialsFileKeysComeBeforeCredentialProcessButNotBeforeRoles) {
  // As the AWS CLI: static keys in the credentials file beat credential_process...
  AwsHome process("[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n",
                  "[profile dev]\ncredential_process = /bin/creds\n");
  Result<AwsProfileKeys> keys =
      ReadProfileKeys(LoadAwsProfile(process.Environment({{"AWS_PROFILE", "dev"}})));
  ASSERT_TRUE(keys.ok()) << keys.error();
  EXPECT_EQ(keys.value().access_key_id, "AKIDDEV");

  // ...but credential_process beats the config file's keys, and a role beats any keys.
  AwsHome config_keys("",
                      "[profile dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n"
                      "credential_process = /bin/creds\n");
  EXPECT_TRUE(
      Contains(MessageOf([&] {
                 ReadProfileKeys(LoadAwsProfile(config_keys.Environment({{"AWS_PROFILE", "dev"}})));
               }),
               "credential_process"));
  AwsHome role("[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n",
               "[profile dev]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = dev\n");
  EXPECT_TRUE(
      Contains(MessageOf([&] {
                 ReadProfileKeys(LoadAwsProfile(role.Environment({{"AWS_PROFILE", "dev"}})));
               }),
               "role_arn"));
}

TEST(ResolveRegion, EnvironmentThenProfileThenDefault) {
  AwsHome home("",
               "[default]\nregion = us-west-2\n[profile paris]\nregion = eu-west-3\n"
               "[profile none]\noutput = json\n");
  AwsRegion region = ResolveRegion(
      home.Environment({{"AWS_REGION", "eu-north-1"}, {"AWS_DEFAULT_REGION", "eu-south-1"}}));
  EXPECT_EQ(region.region, "eu-north-1");
  EXPECT_EQ(region.source, "AWS_REGION");

  region = ResolveRegion(home.Environment({{"AWS_DEFAULT_REGION", "eu-south-1"}}));
  EXPECT_EQ(region.region, "eu-south-1");
  EXPECT_EQ(region.source, "AWS_DEFAULT_REGION");

  region = ResolveRegion(home.Environment({{"AWS_REGION", ""}}));  // empty is unset
  EXPECT_EQ(region.region, "us-west-2");
  EXPECT_EQ(region.source, "profile default in " + home.config_file());

  region = ResolveRegion(home.Environment({{"AWS_PROFILE", "paris"}}));
  EXPECT_EQ(region.region, "eu-west-3");
  EXPECT_EQ(region.source, "profile paris in " + home.config_file());

  for (const char* profile : {"none", "missing"}) {  // a missing profile is no error here
    region = ResolveRegion(home.Environment({{"AWS_PROFILE", profile}}));
    EXPECT_EQ(region.region, "eu-west-3");
    EXPECT_EQ(region.source, "default");
  }
  region = ResolveRegion(AwsEnvironment());
  EXPECT_EQ(region.region, kDefaultAwsRegion);
  EXPECT_EQ(region.source, "default");
}

TEST(ResolveRegion, CredentialsFileRegionWinsAsInTheAwsCli) {
  AwsHome home("[default]\nregion = ca-central-1\n", "[default]\nregion = us-west-2\n");
  AwsRegion region = ResolveRegion(home.Environment());
  EXPECT_EQ(region.region, "ca-central-1");
  EXPECT_EQ(region.source, "profile default in " + home.credentials_file());
}

TEST(ResolveRegion, FilesAreNotReadWhenTheEnvironmentSaysIt) {
  AwsHome home("", "not an ini file\n");
  EXPECT_EQ(ResolveRegion(home.Environment({{"AWS_REGION", "eu-west-1"}})).region, "eu-west-1");
  EXPECT_THROW(ResolveRegion(home.Environment()), Error);
}

}  // namespace
}  // namespace fruits::storage
