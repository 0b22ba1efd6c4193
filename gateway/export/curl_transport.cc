#include "gateway/export/curl_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tracegate::exporter {
namespace {

absl::Status GlobalInit() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) {
    return absl::InternalError(absl::StrCat("curl_global_init: ", curl_easy_strerror(result)));
  }
  return absl::OkStatus();
}

struct ResponseSink {
  HttpResponse* response;
  size_t max_bytes;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<ResponseSink*>(user);
  size_t n = size * count;
  if (sink->response->body.size() + n > sink->max_bytes) {
    sink->too_large = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  sink->response->body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<ResponseSink*>(user);
  size_t n = size * count;
  absl::string_view line(data, n);
  if (absl::StartsWith(line, "HTTP/")) {
    sink->response->headers.clear();  // a new response (after 100 Continue or a redirect)
    return n;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;
  absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
  absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
  sink->response->headers.emplace_back(std::string(name), std::string(value));
  return n;
}

absl::Status ErrorStatus(CURLcode code, const char* method, const std::string& url,
                         const char* detail, bool too_large, size_t max_bytes) {
  std::string where = absl::StrCat(method, " ", RedactUrl(url), ": ");
  if (too_large) {
    return absl::UnavailableError(
        absl::StrCat(where, "response body larger than ", max_bytes, " bytes"));
  }
  std::string text = detail[0] != '\0' ? detail : curl_easy_strerror(code);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(where + text);
    case CURLE_ABORTED_BY_CALLBACK:
      return absl::CancelledError(where + "aborted");
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(where + text);
    default:
      return absl::UnavailableError(where + text);
  }
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* abort = static_cast<const std::function<bool()>*>(user);
  return (*abort)() ? 1 : 0;  // non-zero aborts with CURLE_ABORTED_BY_CALLBACK
}

long Millis(absl::Duration d) {
  return static_cast<long>(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<CurlTransport>> CurlTransport::Create(
    const CurlTransportOptions& options) {
  absl::Status init = GlobalInit();
  if (!init.ok()) return init;
  CURL* handle = curl_easy_init();
  if (handle == nullptr) return absl::InternalError("curl_easy_init failed");
  return std::unique_ptr<CurlTransport>(new CurlTransport(options, handle));
}

std::function<std::unique_ptr<HttpTransport>()> CurlTransport::Factory(
    CurlTransportOptions options) {
  return [options = std::move(options)]() -> std::unique_ptr<HttpTransport> {
    absl::StatusOr<std::unique_ptr<CurlTransport>> transport = Create(options);
    if (!transport.ok()) return nullptr;
    return *std::move(transport);
  };
}

CurlTransport::CurlTransport(const CurlTransportOptions& options, void* handle)
    : options_(options), handle_(handle) {}

CurlTransport::~CurlTransport() { curl_easy_cleanup(static_cast<CURL*>(handle_)); }

absl::StatusOr<HttpResponse> CurlTransport::Post(const HttpRequest& request) {
  return Perform(request, /*post=*/true);
}

absl::StatusOr<HttpResponse> CurlTransport::Get(const HttpRequest& request) {
  return Perform(request, /*post=*/false);
}

absl::StatusOr<HttpResponse> CurlTransport::Perform(const HttpRequest& request, bool post) {
  CURL* curl = static_cast<CURL*>(handle_);
  // Reset keeps the connection cache, so the next request reuses the open connection.
  curl_easy_reset(curl);

  HttpResponse response;
  ResponseSink sink{&response, options_.max_response_bytes};
  char error[CURL_ERROR_SIZE];
  error[0] = '\0';

  struct curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, absl::StrCat(name, ": ", value).c_str());
  }
  if (post) headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, Millis(request.timeout));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   Millis(std::min(options_.connect_timeout, request.timeout)));
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  if (options_.tcp_keepalive) {
    long idle =
        static_cast<long>(std::max<int64_t>(1, absl::ToInt64Seconds(options_.tcp_keepalive_idle)));
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, idle);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, idle);
  }
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &sink);
  if (request.abort) {
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &request.abort);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  }
  if (post) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }

  CURLcode code = curl_easy_perform(curl);
  long connects = 0;
  if (curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK) {
    connections_opened_ += connects;
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  // Detach everything that points into this stack frame before returning.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_slist_free_all(headers);

  if (code != CURLE_OK) {
    return ErrorStatus(code, post ? "POST" : "GET", request.url, error, sink.too_large,
                       options_.max_response_bytes);
  }
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace tracegate::exporter
