// What POST /v1/classify accepts as its body: the image's bytes with an image Content-Type, or a
// multipart form (multipart/form-data) whose field `image` holds them.
#pragma once

#include <string>
#include <string_view>

namespace fruits::serve {

enum class UploadKind {
  kImage,        // image/jpeg, image/png, image/webp or image/bmp: the body is the image
  kMultipart,    // multipart/form-data: the image is the field named kImageField
  kUnsupported,  // anything else, a missing Content-Type included: 415
};

inline constexpr std::string_view kImageField = "image";

// From a Content-Type header value: case-insensitive, parameters (after ';') ignored.
UploadKind UploadKindOf(std::string_view content_type);

// The 415 answer's explanation of what is accepted.
std::string UnsupportedUploadMessage(std::string_view content_type);

}  // namespace fruits::serve
