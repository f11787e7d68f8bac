// Base64 (RFC 4648, standard alphabet, with padding): how binary bytes travel inside text, e.g.
// a thumbnail as a data: URL or a SHA-256 digest in a Content-Security-Policy.
#pragma once

#include <string>
#include <string_view>

namespace fruits {

std::string Base64Encode(std::string_view bytes);

}  // namespace fruits
