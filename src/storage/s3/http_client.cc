#include "storage/s3/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>

#include "util/text.h"

namespace fruits::storage {
namespace {

// curl_global_init is not thread-safe: run it once, before any handle exists.
void InitializeCurlOnce() {
  static const bool initialized = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)initialized;
}

constexpr size_t kExpectContinueMinBytes = size_t{1} << 20;

bool HasHeader(const HttpRequest& request, const std::string& lower_name) {
  return std::any_of(request.headers.begin(), request.headers.end(),
                     [&](const auto& header) { return Lower(header.first) == lower_name; });
}

}  // namespace

std::string HttpResponse::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

// One curl easy handle and the state of the transfer it runs: the request body being sent and
// the response being received.
class HttpClient::Handle {
 public:
  Handle() : curl_(curl_easy_init()) {}
  ~Handle() {
    curl_slist_free_all(header_list_);
    curl_easy_cleanup(curl_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  CURL* curl() { return curl_; }

  // Sets the handle up for `request`. The request must outlive the transfer.
  void Prepare(const HttpRequest& request, const HttpOptions& options) {
    response_ = HttpResponse();
    body_ = request.body;
    sent_ = 0;
    curl_slist_free_all(header_list_);
    header_list_ = nullptr;
    error_[0] = '\0';

    curl_easy_reset(curl_);
    curl_easy_setopt(curl_, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error_);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TCP_KEEPALIVE, 1L);
    // S3 speaks HTTP/1.1; curl would otherwise offer h2 over TLS.
    curl_easy_setopt(curl_, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    if (!options.use_environment_proxy) curl_easy_setopt(curl_, CURLOPT_NOPROXY, "*");
    // Object keys may hold "." and ".." segments: send the path exactly as signed.
    curl_easy_setopt(curl_, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout_seconds * 1000));
    // curl's LOW_SPEED options average over several seconds, so a transfer that stalls after
    // a burst is noticed late: watch for bytes moving ourselves.
    stall_timeout_ = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(options.stall_timeout_seconds));
    last_progress_ = Clock::now();
    bytes_moved_ = 0;
    stalled_ = false;
    curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, &Handle::OnProgress);
    curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, this);
    if (options.total_timeout_seconds > 0) {
      curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS,
                       static_cast<long>(options.total_timeout_seconds * 1000));
    }
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Handle::OnBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &Handle::OnHeader);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, this);

    if (request.method == "HEAD") {
      curl_easy_setopt(curl_, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT" || request.method == "POST") {
      curl_easy_setopt(curl_, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_.size()));
      curl_easy_setopt(curl_, CURLOPT_READFUNCTION, &Handle::OnSend);
      curl_easy_setopt(curl_, CURLOPT_READDATA, this);
      // Lets curl send the body again itself when a kept-alive connection turns out closed.
      curl_easy_setopt(curl_, CURLOPT_SEEKFUNCTION, &Handle::OnSeek);
      curl_easy_setopt(curl_, CURLOPT_SEEKDATA, this);
      curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      // "Expect: 100-continue" lets S3 refuse a large body (403, 301) before it is sent; for a
      // small one the round trip costs more than sending it.
      if (body_.size() <= kExpectContinueMinBytes) {
        header_list_ = curl_slist_append(header_list_, "Expect:");
      }
    } else if (request.method != "GET") {
      curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    // curl adds Accept, and a Content-Type to uploads, unless told not to: a signed request sends
    // only what the caller put in it.
    header_list_ = curl_slist_append(header_list_, "Accept:");
    if (!HasHeader(request, "content-type")) {
      header_list_ = curl_slist_append(header_list_, "Content-Type:");
    }
    for (const auto& [name, value] : request.headers) {
      header_list_ = curl_slist_append(header_list_, (name + ": " + value).c_str());
    }
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, header_list_);
  }

  // The response, once curl has finished the transfer with `code`.
  HttpOutcome Finish(CURLcode code) {
    if (stalled_) {
      return HttpOutcome::Failure(
          "stalled: no byte moved for " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(stall_timeout_).count()) +
          " s");
    }
    if (code != CURLE_OK) {
      std::string reason = error_[0] != '\0' ? error_ : curl_easy_strerror(code);
      bool permanent = code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL ||
                       code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE ||
                       code == CURLE_SSL_CERTPROBLEM;
      return HttpOutcome::Failure(
          reason, permanent ? TransportFailure::kPermanent : TransportFailure::kTransient);
    }
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &response_.status);
    return std::move(response_);
  }

 private:
  static size_t OnBody(char* data, size_t size, size_t count, void* self) {
    static_cast<Handle*>(self)->response_.body.append(data, size * count);
    return size * count;
  }

  static size_t OnHeader(char* data, size_t size, size_t count, void* self) {
    std::string_view line(data, size * count);
    auto& headers = static_cast<Handle*>(self)->response_.headers;
    if (line.starts_with("HTTP/")) {
      headers.clear();  // A new response (after a redirect or 100 Continue) starts over.
    } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
      headers[Lower(line.substr(0, colon))] = Trim(line.substr(colon + 1));
    }
    return size * count;
  }

  static int OnProgress(void* self, curl_off_t downloaded, curl_off_t, curl_off_t uploaded,
                        curl_off_t) {
    auto* handle = static_cast<Handle*>(self);
    Clock::time_point now = Clock::now();
    if (downloaded + uploaded != handle->bytes_moved_) {
      handle->bytes_moved_ = downloaded + uploaded;
      handle->last_progress_ = now;
      return 0;
    }
    handle->stalled_ = now - handle->last_progress_ > handle->stall_timeout_;
    return handle->stalled_ ? 1 : 0;
  }

  static int OnSeek(void* self, curl_off_t offset, int origin) {
    auto* handle = static_cast<Handle*>(self);
    if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > handle->body_.size()) {
      return CURL_SEEKFUNC_CANTSEEK;
    }
    handle->sent_ = static_cast<size_t>(offset);
    return CURL_SEEKFUNC_OK;
  }

  static size_t OnSend(char* buffer, size_t size, size_t count, void* self) {
    auto* handle = static_cast<Handle*>(self);
    size_t n = std::min(size * count, handle->body_.size() - handle->sent_);
    std::memcpy(buffer, handle->body_.data() + handle->sent_, n);
    handle->sent_ += n;
    return n;
  }

  using Clock = std::chrono::steady_clock;

  CURL* curl_;
  curl_slist* header_list_ = nullptr;
  Clock::duration stall_timeout_{};
  Clock::time_point last_progress_;
  curl_off_t bytes_moved_ = 0;
  bool stalled_ = false;
  char error_[CURL_ERROR_SIZE] = {};
  std::string_view body_;
  size_t sent_ = 0;
  HttpResponse response_;
};

HttpClient::HttpClient(HttpOptions options) : options_(options) { InitializeCurlOnce(); }

HttpClient::~HttpClient() {
  // Easy handles first: they may still be linked to connections a multi handle caches.
  idle_.clear();
  for (CURLM* multi : idle_multis_) curl_multi_cleanup(multi);
}

CURLM* HttpClient::BorrowMulti() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_multis_.empty()) {
      CURLM* multi = idle_multis_.back();
      idle_multis_.pop_back();
      return multi;
    }
  }
  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, options_.max_cached_connections);
  return multi;
}

void HttpClient::ReturnMulti(CURLM* multi) {
  std::lock_guard lock(mutex_);
  idle_multis_.push_back(multi);
}

std::unique_ptr<HttpClient::Handle> HttpClient::Borrow() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Handle> handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  return std::make_unique<Handle>();
}

void HttpClient::Return(std::unique_ptr<Handle> handle) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(handle));
}

HttpOutcome HttpClient::Send(const HttpRequest& request) {
  std::unique_ptr<Handle> handle = Borrow();
  handle->Prepare(request, options_);
  HttpOutcome result = handle->Finish(curl_easy_perform(handle->curl()));
  Return(std::move(handle));
  return result;
}

std::vector<HttpOutcome> HttpClient::SendAll(const std::vector<HttpRequest>& requests,
                                             int max_in_flight) {
  std::vector<HttpOutcome> results(requests.size(), HttpOutcome::Failure("request was not sent"));
  if (requests.empty()) return results;
  if (requests.size() == 1) {
    results[0] = Send(requests[0]);
    return results;
  }
  CURLM* multi = BorrowMulti();
  // Which request each running handle carries.
  std::vector<std::pair<std::unique_ptr<Handle>, size_t>> running;
  size_t next = 0;
  auto start_next = [&] {
    std::unique_ptr<Handle> handle = Borrow();
    handle->Prepare(requests[next], options_);
    if (curl_multi_add_handle(multi, handle->curl()) != CURLM_OK) {
      results[next] = HttpOutcome::Failure("could not start the request (out of memory?)");
      Return(std::move(handle));
    } else {
      running.emplace_back(std::move(handle), next);
    }
    ++next;
  };
  size_t limit = static_cast<size_t>(std::max(1, max_in_flight));
  while (next < requests.size() && running.size() < limit) start_next();

  while (!running.empty()) {
    int still_running = 0;
    curl_multi_perform(multi, &still_running);
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      auto it = std::find_if(running.begin(), running.end(), [&](const auto& entry) {
        return entry.first->curl() == message->easy_handle;
      });
      CURLcode code = message->data.result;
      curl_multi_remove_handle(multi, it->first->curl());
      results[it->second] = it->first->Finish(code);
      Return(std::move(it->first));
      running.erase(it);
      if (next < requests.size()) start_next();
    }
    if (!running.empty()) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  ReturnMulti(multi);
  return results;
}

}  // namespace fruits::storage
