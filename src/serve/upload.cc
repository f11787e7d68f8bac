#include "serve/upload.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace fruits::serve {

namespace {

constexpr std::array<std::string_view, 4> kImageTypes = {"image/jpeg", "image/png", "image/webp",
                                                         "image/bmp"};

// The media type alone, lower case, without parameters or surrounding blanks.
std::string MediaType(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!content_type.empty() && blank(content_type.front())) content_type.remove_prefix(1);
  while (!content_type.empty() && blank(content_type.back())) content_type.remove_suffix(1);
  std::string type(content_type);
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return type;
}

}  // namespace

UploadKind UploadKindOf(std::string_view content_type) {
  const std::string type = MediaType(content_type);
  if (std::find(kImageTypes.begin(), kImageTypes.end(), type) != kImageTypes.end()) {
    return UploadKind::kImage;
  }
  if (type == "multipart/form-data") return UploadKind::kMultipart;
  return UploadKind::kUnsupported;
}

std::string UnsupportedUploadMessage(std::string_view content_type) {
  const std::string type = MediaType(content_type);
  return (type.empty() ? std::string("no Content-Type") : "Content-Type " + type) +
         " is not accepted: send the image's bytes as image/jpeg, image/png, image/webp or "
         "image/bmp, or a multipart/form-data form with the image in the field '" +
         std::string(kImageField) + "'";
}

}  // namespace fruits::serve
