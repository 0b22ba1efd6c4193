// The composition root: builds every stage from a loaded Config, owns them, and starts and
// stops them in order.
//
//   auto gw = Gateway::Start({.config = cfg, .load_config = reread_file});  // listening
//   ...                                            // SIGHUP arrives
//   auto result = gw->Reload();                    // new keys/routes/limits, or the reason not
//   ...                                            // SIGTERM arrives
//   gw->Shutdown(absl::Seconds(30));               // drain, then stop
//
// Start order: telemetry → dedupe/queue → config snapshot (auth, route, validate, rate
// limits, pipeline; reload_snapshot.h) → exporters → gRPC server (TLS when configured;
// tls_listener.h) → admin. Shutdown order: readiness false → gRPC drain (streams end, unary
// calls finish) → worker pool → exporters until the deadline → queue close. With the
// embedded queue the exporters drain it (StopMode::kDrain): events still queued at the
// deadline are lost and the log says how many; with Redis they finish what they read and the
// rest stays queued for other replicas. Readiness (/readyz and the gRPC health service,
// kept in step every 200 ms) is false while starting, draining or Redis is unreachable.
// Errors from Start name the part that failed (bad route, port in use, ...).
// Reload (hot, no dropped work): api_keys, routes (incl. Langfuse keys and key files),
// limits, rate_limits, export settings, logging level and the admin key take effect for new
// calls; calls in flight finish with the version they started with. Other changed settings
// are reported as needing a restart. An invalid new config is refused with the reason and
// the running one stays. Reloads are serialised.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/config/loader.h"
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
  // Where Reload() reads the new config (main: the --config file). Unset: Reload() fails.
  std::function<absl::StatusOr<config::LoadedConfig>()> load_config;
};

struct ReloadResult {
  uint64_t version = 0;               // config version now serving (1 = the one started with)
  std::vector<std::string> changes;   // e.g. "api_keys: removed \"ci\"", "route \"a\": added"
  std::vector<std::string> warnings;  // loader warnings, settings that need a restart
};

class Gateway {
 public:
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(GatewayOptions options);
  ~Gateway();

  int grpc_port() const;
  int admin_port() const;
  // Re-reads the config through GatewayOptions::load_config and applies it (see above).
  // Errors: the loader's or a stage's error (INVALID_ARGUMENT, NOT_FOUND, ...), with the
  // reason; FAILED_PRECONDITION when there is no load_config or the gateway is stopping.
  absl::StatusOr<ReloadResult> Reload();
  // Stops accepting, lets in-flight calls finish, exports what is queued until `drain`
  // has passed, then stops everything. Idempotent.
  void Shutdown(absl::Duration drain);

  struct Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tracegate::server
