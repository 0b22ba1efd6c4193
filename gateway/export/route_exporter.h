// RouteExporter: the export stage of one route. Its worker threads read entries from the
// route's queue, gather them into batches (max_batch_events / max_batch_bytes / linger),
// deliver them to the route's Langfuse target with BatchSender (OTLP for traces and
// observations, /api/public/ingestion for scores and legacy routes; retries with backoff,
// jitter and Retry-After; per-event dead letters), then Ack the entries whose events are all
// delivered or dead-lettered and Release the others.
//
//   auto exporter = RouteExporter::Create({.target = target, .queue = queue,
//       .transport_factory = [] { return *CurlTransport::Create({}); }});
//   TG_RETURN_IF_ERROR((*exporter)->Start());
//   ...
//   (*exporter)->Stop(absl::Now() + absl::Seconds(10));
//
// - Each RouteExporter has its own threads and HTTP connections: a slow or down Langfuse
//   stalls only its route. While Langfuse is down, events stay in the queue (retries never
//   drop them unless max_attempts > 0); the queue's limit then pushes back on producers.
// - Targets with egress_auto ask GET /api/public/health once (retrying while it fails) before
//   the first delivery; an unreadable version means OTLP.
// - Stop(deadline, StopMode::kFinishInFlight): no new entries are read; in-flight requests
//   and retries continue while they can finish by `deadline` and are abandoned otherwise;
//   unacked entries are released to the queue; threads are joined. Backoff waits are cut
//   short by Stop. A second Stop() is a no-op.
// - Stop(deadline, StopMode::kDrain): as above, but the workers first keep reading and
//   delivering (without lingering) until the route's queue has nothing left for them or the
//   deadline passes. Shutdown uses it for a queue that does not outlive the process.
// - Create(): INVALID_ARGUMENT for missing target/queue/transport_factory, a target without
//   base_url, or out-of-range numbers. Start(): FAILED_PRECONDITION when already started,
//   INTERNAL when transport_factory returns null.
// - Thread-safety: Start/Stop from one controlling thread; in_flight() and egress() from any.
// - Ownership: borrows queue, clock and telemetry (they must outlive the exporter); shares the
//   target; owns its threads and transports.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/core/clock.h"
#include "gateway/core/queue.h"
#include "gateway/core/route_target.h"
#include "gateway/core/telemetry.h"
#include "gateway/export/batch_sender.h"
#include "gateway/export/http_transport.h"
#include "gateway/export/langfuse_client.h"
#include "gateway/export/retry_policy.h"

namespace tracegate::exporter {

struct RouteExporterOptions {
  std::shared_ptr<const core::RouteTarget> target;
  core::Queue* queue = nullptr;
  // Called once per worker thread, at Start().
  std::function<std::unique_ptr<HttpTransport>()> transport_factory;
  const core::Clock* clock = &core::Clock::Real();
  core::Telemetry* telemetry = &core::Telemetry::Noop();
  size_t max_batch_events = 500;
  size_t max_batch_bytes = 2'500'000;  // uncompressed; legacy bodies never exceed 3.5 MB
  absl::Duration linger = absl::Milliseconds(200);
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(30);
  int max_attempts = 0;  // per request; 0 = retry transient errors until Stop's deadline
  int gzip_level = 1;
  int workers = 1;
  std::string service_version = "0.1.0";  // sent as x-langfuse-sdk-version
  // Jitter source, uniform in [0, 1), called from worker threads. Default: per-thread PRNG.
  std::function<double()> random;
};

enum class StopMode {
  kFinishInFlight,  // finish what was read; the rest stays in the queue
  kDrain,           // deliver what the queue still holds, until the deadline
};

class RouteExporter {
 public:
  static absl::StatusOr<std::unique_ptr<RouteExporter>> Create(RouteExporterOptions options);
  ~RouteExporter();  // Stop(now) when still running
  RouteExporter(const RouteExporter&) = delete;
  RouteExporter& operator=(const RouteExporter&) = delete;

  absl::Status Start();
  void Stop(absl::Time deadline, StopMode mode = StopMode::kFinishInFlight);

  // Stop() has been called (the workers may still be finishing or draining).
  bool stopping() const { return StopRequested(); }
  // Events read from the queue and not yet acked or released.
  size_t in_flight() const { return in_flight_.load(); }
  // The egress in use: target.egress, or what /api/public/health decided for auto targets.
  core::Egress egress() const;

 private:
  explicit RouteExporter(RouteExporterOptions options);

  void Run(HttpTransport* transport);
  // Reads entries until a batch is full or linger passes; the status is the queue's error.
  // `events_per_entry` is the worker's running estimate (0 = unknown), used to size each Read so
  // that one batch does not pull far more than max_batch_events out of the queue.
  absl::Status Gather(std::vector<core::QueueEntry>* entries, size_t* events_per_entry);
  // Delivers, then acks what is done and releases the rest; false when any was released.
  bool Process(std::vector<core::QueueEntry>& entries, BatchSender& sender,
               HttpTransport& transport);
  // False when shutdown's deadline came first.
  bool EnsureEgress(HttpTransport& transport, core::Egress* egress);
  // Sleeps `d` on the clock in small steps; false (at once) when stopping and the wait would
  // end after the stop deadline.
  bool Wait(absl::Duration d);
  absl::Duration TimeLeft() const;
  bool StopRequested() const;
  // Stop was requested with kDrain and its deadline has not passed.
  bool Draining() const;

  const RouteExporterOptions options_;
  const LangfuseClient client_;
  const RetryPolicy policy_;

  mutable absl::Mutex mu_;
  enum class State { kCreated, kRunning, kStopping, kStopped };
  State state_ ABSL_GUARDED_BY(mu_) = State::kCreated;
  absl::Time stop_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  StopMode stop_mode_ ABSL_GUARDED_BY(mu_) = StopMode::kFinishInFlight;
  std::optional<core::Egress> resolved_egress_ ABSL_GUARDED_BY(mu_);

  std::atomic<size_t> in_flight_{0};
  std::vector<std::unique_ptr<HttpTransport>> transports_;
  std::vector<std::thread> threads_;
};

}  // namespace tracegate::exporter
