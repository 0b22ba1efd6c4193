// BatchingClient: the background, batching Tracegate client for C++ services.
//
//   auto client = tracegate::client::BatchingClient::Create(
//       tracegate::client::BatchingClientOptions::FromEnv());
//   (*client)->Enqueue(std::move(event));      // never blocks on the network, never throws
//   (*client)->Flush(absl::Seconds(5));        // optional
//   auto c = (*client)->counters();            // sent, duplicate, rejected, dropped, ...
//   // the destructor runs Shutdown(shutdown_timeout)
//
// Contract
// - Enqueue() appends to a bounded in-memory queue under a short mutex and returns; false
//   (and `dropped` + 1) when the queue is full, the client is disabled or shut down. It is
//   noexcept and thread-safe. Events are owned by the client once enqueued.
// - One background thread sends batches (max_batch_events, or what arrived within
//   `linger`) with the unary Ingest RPC; a request carries at most max_batch_bytes of
//   serialized events, so a batch of large events leaves in several requests. Before the
//   first send, an empty event_id gets a random UUID v4, `environment` is stamped on
//   events that set none, and invalid UTF-8 in any string field becomes U+FFFD (the
//   gateway cannot parse a request that holds it). Per-event results: ACCEPTED/DUPLICATE
//   count as sent; REJECTED with a retryable code (UNAVAILABLE, RESOURCE_EXHAUSTED) is
//   resent with the same event_id after its retry_after; any other REJECTED is counted,
//   logged once per distinct reason and not resent.
// - Gateway missing or overloaded (call fails UNAVAILABLE, DEADLINE_EXCEEDED,
//   RESOURCE_EXHAUSTED, ...): one warning per outage, then quiet; the batch is retried with
//   jittered exponential backoff (same event ids, the gateway dedupes) while new events
//   wait in the queue; once full, new events are dropped and counted.
// - A request refused as too large (RESOURCE_EXHAUSTED "... larger than max ...") is never
//   resent as is: later requests are capped at half its size, and an event too large on
//   its own is dropped and counted (one warning).
// - Call refused (UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT, ...): one
//   warning, the request's events are dropped and counted; later ones are still tried.
// - Without an API key the client is disabled: one warning, every event dropped.
// - Shutdown(timeout) flushes for at most `timeout`, counts what is left as dropped, and
//   joins the thread; the destructor runs it, so a client that goes out of scope (or a
//   static one at exit) delivers what it buffered. Create() fails only when the TLS files
//   cannot be read.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tracegate/client.h"
#include "tracegate/v1/ingest_service.pb.h"

namespace tracegate::client {

struct BatchingClientOptions {
  ClientOptions client;  // endpoint, api_key, TLS, per-call timeout, app_id
  std::string default_workspace = "default";
  size_t max_queue_events = 10000;
  size_t max_batch_events = 100;
  // Serialized bytes per request at most (well under the gateway's 16 MiB limit).
  size_t max_batch_bytes = 4 << 20;
  // Langfuse environment stamped on events that set none; ignored unless it is a valid
  // name once lower-cased ([a-z0-9_-], at most 40, not "langfuse*").
  std::string environment;
  absl::Duration linger = absl::Milliseconds(100);
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  absl::Duration shutdown_timeout = absl::Seconds(2);  // used by the destructor
  // Receives warnings (one line each); default: "tracegate: ..." on stderr.
  std::function<void(absl::string_view)> log;

  // TRACEGATE_ENDPOINT, TRACEGATE_API_KEY, TRACEGATE_WORKSPACE, APP_ENV (environment),
  // TRACEGATE_APP_ID (client.app_id: sent as IngestRequest.app_id on every request),
  // TRACEGATE_TLS (1/true), TRACEGATE_CA_FILE, TRACEGATE_CERT_FILE, TRACEGATE_KEY_FILE;
  // defaults otherwise.
  static BatchingClientOptions FromEnv();
};

struct BatchingCounters {
  uint64_t sent = 0;       // accepted or duplicate at the gateway
  uint64_t duplicate = 0;  // of sent: already seen by the gateway
  uint64_t rejected = 0;   // rejected for good (not resent)
  uint64_t dropped = 0;    // never delivered: queue full, disabled, refused, shut down
  uint64_t retried = 0;    // event sends repeated after a failure
  uint64_t queued = 0;     // enqueued and not yet resolved
};

class BatchingClient {
 public:
  static absl::StatusOr<std::unique_ptr<BatchingClient>> Create(BatchingClientOptions options);
  ~BatchingClient();
  BatchingClient(const BatchingClient&) = delete;
  BatchingClient& operator=(const BatchingClient&) = delete;

  bool Enqueue(tracegate::v1::TraceEvent event) noexcept;
  // Waits until every event enqueued before the call is resolved; true if it was.
  bool Flush(absl::Duration timeout);
  void Shutdown(absl::Duration timeout);
  BatchingCounters counters() const;

 private:
  BatchingClient(BatchingClientOptions options, std::unique_ptr<Client> client);
  void Run();
  // Takes the next batch; empty when the client is closing and the queue is drained.
  std::vector<tracegate::v1::TraceEvent> NextBatch();
  void Deliver(std::vector<tracegate::v1::TraceEvent> batch);
  // Fills event ids, stamps the environment, repairs invalid UTF-8.
  void Prepare(std::vector<tracegate::v1::TraceEvent>& batch) const;
  // Counts per-event results; leaves the events to resend in `pending`.
  absl::Duration Account(std::vector<tracegate::v1::TraceEvent>& pending,
                         const tracegate::v1::IngestResponse& response);
  void Resolve(uint64_t sent, uint64_t duplicate, uint64_t rejected, uint64_t dropped);
  // Sleeps up to `d` (jittered), never past the shutdown deadline.
  void Backoff(absl::Duration d);
  bool Abandoned() const;
  void WarnOnce(const std::string& key, absl::string_view message);

  const BatchingClientOptions options_;
  const std::unique_ptr<Client> client_;  // null when disabled
  mutable absl::Mutex mu_;
  std::deque<tracegate::v1::TraceEvent> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t enqueued_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t resolved_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t flush_wanted_ ABSL_GUARDED_BY(mu_) = 0;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time abandon_at_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  BatchingCounters counts_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> warned_ ABSL_GUARDED_BY(mu_);
  uint64_t batch_id_ = 0;  // sender thread only
  size_t batch_bytes_;     // sender thread only: max_batch_bytes, lowered on "too large"
  std::thread thread_;
};

}  // namespace tracegate::client
