// The one-page web app GET / serves: src/serve/web/index.html, built into the binary (a
// generated header holds its bytes), so the server needs no files beside it.
#pragma once

#include <string_view>

namespace fruits::serve {

std::string_view WebPage();

// The Content-Security-Policy sent with the page: its own inline style and script only, images
// from blob: and data: URLs, requests to this server only; nothing external, so it works offline.
inline constexpr std::string_view kWebPageSecurityPolicy =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src blob: "
    "data:; connect-src 'self'";

}  // namespace fruits::serve
