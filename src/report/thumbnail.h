// Small JPEG thumbnails of input images, as data: URLs the report page embeds (the page makes no
// request, so the pictures travel inside it). Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace fruits::report {

// The image in `bytes` (any format DecodeImage reads) shrunk to fit `max_side` x `max_side`
// (never enlarged), as "data:image/jpeg;base64,...". A file that does not decode is a Failure
// with DecodeImage's reason.
Result<std::string> ThumbnailDataUrl(std::string_view bytes, int max_side);

}  // namespace fruits::report
