// The durable queue between the receive side and the exporters: one logical queue per route.
//
// Contract
// - Producer: Append() stores one request batch (the accepted events of one request for one
//   route) as one entry. OK means the entry is as durable as the implementation promises
//   (Redis with AOF: survives a crash; embedded: lives as long as the process).
//   RESOURCE_EXHAUSTED: the route holds max events already (only this route is affected).
//   UNAVAILABLE: the store cannot be reached; nothing was stored.
// - Consumer: Read() hands out entries that no other consumer holds; they stay pending until
//   Ack(). An entry that is never acked is handed out again (embedded: after Release();
//   Redis: after the claim timeout), so delivery is at-least-once.
// - AddDeadLetter() records an event that can never be delivered, with the reason;
//   ReplayDeadLetters() moves the oldest dead letters of a route back into its queue (one
//   entry, not deduped again) and returns how many; RESOURCE_EXHAUSTED when they do not fit
//   under the route's cap. The default implementation is UNIMPLEMENTED.
// - Thread-safety: all methods may be called from any thread concurrently.
// - Close() wakes blocked readers; afterwards Read() returns CANCELLED and Append() UNAVAILABLE.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "tracegate/v1/ingest_service.pb.h"

namespace tracegate::core {

struct QueueEntry {
  std::string id;                       // assigned by the queue
  tracegate::v1::IngestRequest batch;   // the events (only `events` is meaningful)
  int64_t delivery_count = 1;           // how many times this entry was handed out
  absl::Time enqueued_at;
};

struct DeadLetter {
  std::string route;
  tracegate::v1::TraceEvent event;
  std::string reason;
  absl::Time at;
};

struct QueueStats {
  int64_t events = 0;            // queued + pending events
  int64_t entries = 0;           // queued + pending entries
  int64_t pending_entries = 0;   // handed out, not acked
  absl::Duration oldest_age;     // age of the oldest entry, zero when empty
  int64_t dead_letters = 0;
};

class Queue {
 public:
  virtual ~Queue() = default;

  virtual absl::Status Append(absl::string_view route, tracegate::v1::IngestRequest batch) = 0;

  // Waits up to `wait` for at least one entry; returns up to `max_entries` entries
  // (an empty vector on timeout).
  virtual absl::StatusOr<std::vector<QueueEntry>> Read(absl::string_view route,
                                                       size_t max_entries,
                                                       absl::Duration wait) = 0;
  virtual absl::Status Ack(absl::string_view route, absl::Span<const std::string> entry_ids) = 0;
  // Returns pending entries to the queue so they are read again (e.g. on shutdown).
  virtual absl::Status Release(absl::string_view route,
                               absl::Span<const std::string> entry_ids) = 0;
  virtual absl::Status AddDeadLetter(const DeadLetter& letter) = 0;
  virtual absl::StatusOr<std::vector<DeadLetter>> ListDeadLetters(absl::string_view route,
                                                                  size_t max) = 0;
  virtual absl::StatusOr<int64_t> ReplayDeadLetters(absl::string_view route, size_t max) {
    return absl::UnimplementedError("this queue cannot replay dead letters");
  }
  virtual QueueStats Stats(absl::string_view route) = 0;
  virtual void Close() = 0;
};

}  // namespace tracegate::core
