// What the stages report about their work, without depending on a metrics library.
// observability/ implements it with Prometheus counters; tests use NoopTelemetry or a
// recording fake. Implementations are thread-safe and cheap (called on hot paths, once per
// batch, never once per event where a count will do). Labels never carry secrets.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tracegate::core {

enum class EventOutcome { kAccepted, kDuplicate, kRejected };

class Telemetry {
 public:
  virtual ~Telemetry() = default;
  // Receive side: `n` events of `workspace` ended with `outcome`. `reason` is a short
  // class for rejections ("invalid", "permission", "unavailable", "queue_full", ...).
  virtual void OnEvents(absl::string_view workspace, EventOutcome outcome, int64_t n,
                        absl::string_view reason) {}
  // Receive side: `n` Trace events (TraceEvent.trace: a trace's create or update) of
  // `workspace` were dropped by privacy sampling. Reported besides OnEvents (which counts
  // every sampled-out event as accepted/"sampled"); a trace sent as several Trace events
  // counts once per event.
  virtual void OnTracesSampledOut(absl::string_view workspace, int64_t n) {}
  // Export side: one HTTP request to `endpoint` ("otel" or "ingestion") for `route` ended
  // with `status` (HTTP status, or 0 for a transport error) after `latency`.
  virtual void OnExportRequest(absl::string_view route, absl::string_view endpoint, int status,
                               absl::Duration latency) {}
  virtual void OnExportRetry(absl::string_view route, absl::string_view endpoint) {}
  // Events that reached Langfuse, or that failed for good (dead-lettered) with a reason class.
  virtual void OnEventsDelivered(absl::string_view route, int64_t n) {}
  virtual void OnEventsFailed(absl::string_view route, int64_t n, absl::string_view reason) {}

  static Telemetry& Noop();
};

inline Telemetry& Telemetry::Noop() {
  static Telemetry kNoop;
  return kNoop;
}

}  // namespace tracegate::core
