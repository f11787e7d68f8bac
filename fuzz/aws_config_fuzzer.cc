// The AWS shared files (~/.aws/credentials and ~/.aws/config): ParseIni, then the profile and
// region lookups and the profile's keys exactly as the credential chain does them.
//
// The input is "CREDENTIALS\0CONFIG" (no NUL: credentials only); its first byte also picks the
// profile (AWS_PROFILE unset, "dev", "prod" or an explicit "default"). The files are memory files
// (memfd) reached through /proc/self/fd, so nothing is written to disk. Refusals are
// fruits::Error; anything else is a finding.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "storage/s3/aws_credentials.h"
#include "storage/s3/aws_profile.h"
#include "util/error.h"

namespace {

// A memory file holding `text`, named by its /proc/self/fd path; reused between inputs.
class MemoryFile {
 public:
  explicit MemoryFile(const char* name) : fd_(memfd_create(name, MFD_CLOEXEC)) {
    if (fd_ < 0) __builtin_trap();
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  const std::string& Hold(std::string_view text) {
    if (ftruncate(fd_, 0) != 0) __builtin_trap();
    if (pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
      __builtin_trap();
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fruits::storage;
  static MemoryFile credentials_file("credentials");
  static MemoryFile config_file("config");
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  std::string_view credentials = input.substr(0, split);
  std::string_view config = split == std::string_view::npos ? "" : input.substr(split + 1);

  try {
    ParseIni(input, "fuzz");
  } catch (const fruits::Error&) {
  }
  ParseAwsTimestamp(credentials);

  std::map<std::string, std::string> variables{
      {"HOME", "/nonexistent"},
      {"AWS_SHARED_CREDENTIALS_FILE", credentials_file.Hold(credentials)},
      {"AWS_CONFIG_FILE", config_file.Hold(config)}};
  static const char* const kProfiles[] = {"", "dev", "prod", "default"};
  if (size > 0 && data[0] % 4 != 0) variables["AWS_PROFILE"] = kProfiles[data[0] % 4];
  const AwsEnvironment environment(std::move(variables));
  try {
    ResolveRegion(environment);
  } catch (const fruits::Error&) {
  }
  try {
    AwsProfile profile = LoadAwsProfile(environment);
    profile.Where("region");
    ReadProfileKeys(profile);
  } catch (const fruits::Error&) {
  }
  return 0;
}
