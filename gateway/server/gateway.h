// The composition root: builds every stage from a loaded Config, owns them, and starts and
// stops them in order.
//
//   auto gw = Gateway::Start({.config = cfg});     // listening when it returns
//   ...                                            // SIGTERM arrives
//   gw->Shutdown(absl::Seconds(30));               // drain, then stop
//
// Start order: telemetry → auth → route → validate → dedupe/queue → exporters → pipeline →
// gRPC server → admin. Shutdown order: readiness false → gRPC drain (streams end, unary
// calls finish) → worker pool → exporters drain the queue until the deadline → queue close.
// With the embedded queue, events still queued at the deadline are lost; the log says how
// many. Errors from Start name the part that failed (bad route, port in use, ...).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/core/clock.h"
#include "tracegate/config/v1/config.pb.h"

namespace tracegate::exporter {
class HttpTransport;
}

namespace tracegate::server {

struct GatewayOptions {
  // A config that went through config::LoadConfigFile (defaults applied, validated).
  tracegate::config::v1::Config config;
  const core::Clock* clock = &core::Clock::Real();
  // Makes the HTTP transport of each export worker; default: libcurl.
  std::function<std::unique_ptr<exporter::HttpTransport>()> transport_factory;
};

class Gateway {
 public:
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(GatewayOptions options);
  ~Gateway();

  int grpc_port() const;
  int admin_port() const;
  // Stops accepting, lets in-flight calls finish, exports what is queued until `drain`
  // has passed, then stops everything. Idempotent.
  void Shutdown(absl::Duration drain);

  struct Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tracegate::server
