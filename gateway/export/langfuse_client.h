// Builds the HTTP requests that carry events to one Langfuse project (a core::RouteTarget),
// and asks a Langfuse server which egress it supports.
//
//   LangfuseClient client(LangfuseClientOptions{.target = target, .gzip_level = 1});
//   TG_ASSIGN_OR_RETURN(HttpRequest otlp, client.OtlpRequest(encoder.Serialize()));
//   HttpRequest legacy = client.IngestionRequest({event_json_1, event_json_2});
//
// OTLP: POST <base>/api/public/otel/v1/traces, body = gzip(ExportTraceServiceRequest),
//   Content-Type: application/x-protobuf, Content-Encoding: gzip,
//   x-langfuse-ingestion-version: 4.
// Legacy: POST <base>/api/public/ingestion, body = {"batch":[...]} uncompressed JSON,
//   Content-Type: application/json.
// Both: Authorization: Basic base64(public_key:secret_key), x-langfuse-sdk-name: tracegate,
//   x-langfuse-sdk-version, timeout = target.timeout.
//
// Thread-safety: immutable after construction; safe to share. Holds the target by shared_ptr.
// OtlpRequest returns INVALID_ARGUMENT for a gzip level outside 0..9. ResolveEgress: see below.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/core/route_target.h"
#include "gateway/export/http_transport.h"

namespace tracegate::exporter {

inline constexpr char kOtlpPath[] = "/api/public/otel/v1/traces";
inline constexpr char kIngestionPath[] = "/api/public/ingestion";
inline constexpr char kHealthPath[] = "/api/public/health";
inline constexpr char kSdkName[] = "tracegate";
// Telemetry endpoint labels.
inline constexpr char kOtelEndpoint[] = "otel";
inline constexpr char kIngestionEndpoint[] = "ingestion";

struct LangfuseClientOptions {
  std::shared_ptr<const core::RouteTarget> target;
  int gzip_level = 1;
  std::string sdk_version = "0.1.0";
};

class LangfuseClient {
 public:
  explicit LangfuseClient(LangfuseClientOptions options);

  // `otlp_proto` is a serialised ExportTraceServiceRequest; it is gzip-compressed here.
  absl::StatusOr<HttpRequest> OtlpRequest(absl::string_view otlp_proto) const;

  // Each element of `events` is one legacy ingestion event as JSON object text.
  HttpRequest IngestionRequest(const std::vector<std::string>& events) const;
  // Same, from pointers (no copies of large event texts).
  HttpRequest IngestionRequest(const std::vector<const std::string*>& events) const;

  // Bytes the {"batch":[...]} envelope adds around `n` events.
  static size_t IngestionOverhead(size_t n) { return 12 + (n > 0 ? n - 1 : 0); }

  const core::RouteTarget& target() const { return *options_.target; }

 private:
  HttpHeaders CommonHeaders() const;

  LangfuseClientOptions options_;
  std::string authorization_;  // "Basic ..." (never logged)
};

// "Basic " + base64(public_key ":" secret_key).
std::string BasicAuthorization(absl::string_view public_key, absl::string_view secret_key);

// Parses "4.16.0", "v3.22.1-rc.1", ... into (major, minor); INVALID_ARGUMENT otherwise.
absl::StatusOr<std::pair<int, int>> ParseLangfuseVersion(absl::string_view version);

// Asks GET <base>/api/public/health (no auth) for the server version and picks the egress:
// >= 3.22 → kOtlp, older → kLegacy. UNAVAILABLE / DEADLINE_EXCEEDED from the transport or
// UNAVAILABLE for a non-200 answer (retry later); INVALID_ARGUMENT when the answer has no
// readable version.
absl::StatusOr<core::Egress> ResolveEgress(HttpTransport& transport,
                                           const core::RouteTarget& target);

}  // namespace tracegate::exporter
