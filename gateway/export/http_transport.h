// The HTTP client seen by the exporter: one blocking request at a time.
//
// HttpTransport is the seam between delivery policy (route_exporter, batch_sender) and the
// wire (curl_transport). Tests replace it with a hand-written fake that records requests and
// plays scripted responses.
//
// Contract
// - Post()/Get() return the server's answer, whatever its HTTP status (4xx/5xx are responses,
//   not errors). Only a failure to get an answer is an error:
//     UNAVAILABLE        connect refused/reset, DNS failure, empty reply, TLS failure, ...
//     DEADLINE_EXCEEDED  `timeout` (or the connect timeout) ran out
//     INVALID_ARGUMENT   the request itself is unusable (e.g. a malformed URL)
//     CANCELLED          `abort` returned true while the request was in progress
//   Error messages never contain request headers (Authorization) or URL credentials.
// - Thread-safety: an instance is NOT thread-safe; each worker thread owns its own.
// - Ownership: requests are borrowed for the duration of the call.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tracegate::exporter {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Returns the value of the first header named `name` (ASCII case-insensitive), or nullptr.
const std::string* FindHeader(const HttpHeaders& headers, absl::string_view name);

struct HttpRequest {
  std::string url;
  HttpHeaders headers;
  std::string body;  // ignored by Get()
  absl::Duration timeout = absl::Seconds(10);
  // Polled while the request is in progress (about once a second when idle); returning
  // true abandons it with CANCELLED. Lets a shutdown cut a slow request short.
  std::function<bool()> abort;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  HttpHeaders headers;  // in the order received; names as sent by the server

  const std::string* Header(absl::string_view name) const { return FindHeader(headers, name); }
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual absl::StatusOr<HttpResponse> Post(const HttpRequest& request) = 0;
  virtual absl::StatusOr<HttpResponse> Get(const HttpRequest& request) = 0;
};

// Removes "user:password@" from a URL so it can appear in messages.
std::string RedactUrl(absl::string_view url);

}  // namespace tracegate::exporter
