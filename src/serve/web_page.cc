#include "serve/web_page.h"

#include "serve/web_page_data.h"

namespace fruits::serve {

std::string_view WebPage() {
  return {reinterpret_cast<const char*>(kWebPageData), kWebPageDataSize};
}

}  // namespace fruits::serve
