// HttpTransport over libcurl: one easy handle per instance, reused so that consecutive
// requests to the same Langfuse host share one keep-alive connection.
//
// - Thread-safety: not thread-safe. Create one CurlTransport per worker thread.
// - Ownership: owns its CURL handle; the process-wide curl_global_init runs once, on the first
//   Create() (it is never cleaned up: other threads may still hold handles at exit).
// - Errors (see http_transport.h): UNAVAILABLE for connect/reset/empty reply/TLS problems and
//   for a response larger than `max_response_bytes`, DEADLINE_EXCEEDED on timeout,
//   INVALID_ARGUMENT for unusable URLs, CANCELLED when HttpRequest::abort fired. Messages name the
//   method and the redacted URL plus curl's error text; request headers are never echoed. Create()
//   returns INTERNAL when curl cannot be initialised.
// - When Langfuse is down every call fails fast with UNAVAILABLE (connect refused) or after
//   `connect_timeout` with DEADLINE_EXCEEDED; retrying is the caller's job.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/export/http_transport.h"

namespace tracegate::exporter {

struct CurlTransportOptions {
  absl::Duration connect_timeout = absl::Seconds(5);
  // CA bundle for https; empty = the system store.
  std::string ca_file;
  // TCP keepalive probes on idle connections.
  bool tcp_keepalive = true;
  absl::Duration tcp_keepalive_idle = absl::Seconds(60);
  // Larger responses are cut off with UNAVAILABLE (the body is untrusted input).
  size_t max_response_bytes = 16 << 20;
  std::string user_agent = "tracegate";
};

class CurlTransport final : public HttpTransport {
 public:
  static absl::StatusOr<std::unique_ptr<CurlTransport>> Create(const CurlTransportOptions& options);
  // A RouteExporterOptions::transport_factory: a new CurlTransport per call, nullptr if curl
  // cannot be initialised (RouteExporter::Start then returns INTERNAL).
  static std::function<std::unique_ptr<HttpTransport>()> Factory(CurlTransportOptions options);
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  absl::StatusOr<HttpResponse> Post(const HttpRequest& request) override;
  absl::StatusOr<HttpResponse> Get(const HttpRequest& request) override;

  // Connections curl opened so far on this handle (1 after many keep-alive requests).
  long connections_opened() const { return connections_opened_; }

 private:
  CurlTransport(const CurlTransportOptions& options, void* handle);
  absl::StatusOr<HttpResponse> Perform(const HttpRequest& request, bool post);

  const CurlTransportOptions options_;
  void* const handle_;  // CURL*, kept opaque so curl.h stays out of this header
  long connections_opened_ = 0;
};

}  // namespace tracegate::exporter
