// Delivers one gathered batch of events to a Langfuse target and decides the fate of each
// event: delivered, dead-lettered (with a reason), or left pending (abandoned at shutdown).
//
// - OTLP egress: traces and observations become OTLP exports (one per workspace and per
//   max_batch_events / max_batch_bytes), scores go to /api/public/ingestion.
//   Legacy egress: everything goes to /api/public/ingestion, in bodies of at most
//   min(max_batch_bytes, 3.5 MB).
// - 2xx delivers; a legacy 207 is read per event: per-event status >= 500 → only those events
//   are resent, < 500 → dead-lettered with Langfuse's message. 400 (OTLP rejects a whole
//   export for one bad span) and 413 split the request in halves, recursively, until the
//   failing single events are found and dead-lettered. Other 4xx dead-letter the request's
//   events. 408/429/5xx/transport errors are retried with RetryPolicy (Retry-After honoured)
//   until `max_attempts` (0 = no limit) or until `wait` refuses (shutdown deadline).
// - Dead letters go to Queue::AddDeadLetter, telemetry OnEventsFailed and one JSON log line
//   with the event_id. An event whose dead letter cannot be stored stays pending (its queue
//   entry will be read again). Keys and Authorization never appear in logs or reasons.
//
// Thread-safety: none; one BatchSender per worker thread (it uses that worker's transport).
// Ownership: borrows everything in BatchSenderOptions; the events must outlive Send().
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/core/clock.h"
#include "gateway/core/queue.h"
#include "gateway/core/route_target.h"
#include "gateway/core/telemetry.h"
#include "gateway/export/http_transport.h"
#include "gateway/export/langfuse_client.h"
#include "gateway/export/retry_policy.h"
#include "tracegate/v1/trace_event.pb.h"

namespace tracegate::exporter {

// Langfuse's documented limit for one /api/public/ingestion body.
inline constexpr size_t kMaxIngestionBodyBytes = 3'500'000;

// One event of a batch and what became of it.
struct BatchEvent {
  enum class State { kPending, kDelivered, kDeadLettered };

  const v1::TraceEvent* event = nullptr;
  size_t entry = 0;  // the caller's index of the queue entry holding the event
  State state = State::kPending;

  // Bookkeeping while sending (an event may need several legacy parts).
  int parts_left = 0;
  std::string failure;        // first permanent failure of one of its parts
  std::string failure_class;  // telemetry reason class of that failure
};

struct BatchSenderOptions {
  const core::RouteTarget* target = nullptr;
  const LangfuseClient* client = nullptr;
  HttpTransport* transport = nullptr;
  const RetryPolicy* policy = nullptr;
  core::Queue* queue = nullptr;
  core::Telemetry* telemetry = nullptr;
  const core::Clock* clock = nullptr;
  int max_attempts = 0;  // 0 = retry transient failures until `wait` refuses
  size_t max_batch_events = 500;
  size_t max_batch_bytes = 2'500'000;
  // Waits `d`; returns false when the exporter is shutting down and the wait would pass its
  // deadline (the sender then gives up and leaves the remaining events pending).
  std::function<bool(absl::Duration)> wait;
  // Time left before the shutdown deadline; InfiniteDuration while not shutting down.
  std::function<absl::Duration()> time_left;
};

class BatchSender {
 public:
  explicit BatchSender(BatchSenderOptions options);

  // Sends the pending events of `events` over `egress`. Afterwards each is kDelivered,
  // kDeadLettered or (only when abandoned at shutdown, or a dead letter failed) kPending.
  void Send(core::Egress egress, std::vector<BatchEvent>& events);

 private:
  struct LegacyPart {
    BatchEvent* owner;
    std::string json;
    std::string id;          // envelope id, to match the 207 results
    std::string last_error;  // why the last attempt did not deliver it
  };

  // OTLP (otlp_sender.cc).
  void SendOtlp(const std::vector<BatchEvent*>& events);
  // Encodes `events` (one workspace) into a fresh export; events that fail are dead-lettered,
  // the others appended to `encoded`.
  std::string EncodeOtlp(const std::vector<BatchEvent*>& events, std::vector<BatchEvent*>* encoded);
  void DeliverOtlp(const std::vector<BatchEvent*>& events, std::string proto);

  // Legacy ingestion (legacy_sender.cc).
  void SendLegacy(const std::vector<BatchEvent*>& events, bool otlp_ids);
  void DeliverLegacy(std::vector<LegacyPart*> parts, int attempts_so_far);

  // Shared (batch_sender.cc).
  absl::StatusOr<HttpResponse> Post(const char* endpoint, HttpRequest request);
  // After a retryable failure: counts the attempt, waits; false when the sender must stop
  // (attempts exhausted → events dead-lettered by the caller, or shutdown → abandoned).
  enum class RetryVerdict { kRetry, kGiveUp, kAbandon };
  RetryVerdict BeforeRetry(const char* endpoint, int attempts,
                           const absl::StatusOr<HttpResponse>& last);
  // Resolves one part of `event`; the event is finished when its last part is.
  void PartDelivered(BatchEvent* event);
  void PartFailed(BatchEvent* event, const std::string& reason, const char* reason_class);
  void FlushDelivered();
  void DeadLetter(BatchEvent* event);

  BatchSenderOptions options_;
  bool abandoned_ = false;  // shutdown deadline reached during this Send()
  int64_t delivered_ = 0;   // events finished as delivered, not yet reported
};

// "HTTP 503: <server message>" or the transport status text (never secrets).
std::string DescribeResult(const absl::StatusOr<HttpResponse>& result);

}  // namespace tracegate::exporter
