// The embedded queue: one in-process FIFO per route, used when no Redis is configured.
//
// Same contract as core::Queue, with one weaker promise: entries live only as long as the
// process (start-up logs say so). A route holds at most `max_events_per_route` events
// (queued + pending); Append() past that returns RESOURCE_EXHAUSTED for that route only.
// Read() moves entries to a pending set until Ack() or Release(); the pending set keeps the
// serialised batch (made outside the lock, cheaper than a deep copy and its later
// destruction), parsed back only on Release(). Dead letters are kept in
// a bounded ring per route (the oldest are dropped past `max_dead_letters_per_route` and
// counted). Thread-safe; Read() blocks on a condition variable, never spins.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "gateway/core/clock.h"
#include "gateway/core/queue.h"

namespace tracegate::queue {

struct MemoryQueueOptions {
  int64_t max_events_per_route = 1'000'000;
  size_t max_dead_letters_per_route = 10'000;
  const core::Clock* clock = &core::Clock::Real();
};

class MemoryQueue final : public core::Queue {
 public:
  explicit MemoryQueue(const MemoryQueueOptions& options);

  absl::Status Append(absl::string_view route, tracegate::v1::IngestRequest batch) override;
  absl::StatusOr<std::vector<core::QueueEntry>> Read(absl::string_view route, size_t max_entries,
                                                     absl::Duration wait) override;
  absl::Status Ack(absl::string_view route, absl::Span<const std::string> entry_ids) override;
  absl::Status Release(absl::string_view route, absl::Span<const std::string> entry_ids) override;
  absl::Status AddDeadLetter(const core::DeadLetter& letter) override;
  absl::StatusOr<std::vector<core::DeadLetter>> ListDeadLetters(absl::string_view route,
                                                                size_t max) override;
  absl::StatusOr<int64_t> ReplayDeadLetters(absl::string_view route, size_t max) override;
  core::QueueStats Stats(absl::string_view route) override;
  void Close() override;

 private:
  // A handed-out entry, kept until Ack() (dropped) or Release() (parsed back into `ready`).
  struct Pending {
    std::string id;
    std::string bytes;  // the serialised IngestRequest
    int64_t events = 0;
    int64_t delivery_count = 0;
    absl::Time enqueued_at;
  };
  struct Route {
    std::deque<core::QueueEntry> ready;
    std::map<uint64_t, Pending> pending;  // by sequence number, oldest first
    int64_t events = 0;
    std::deque<core::DeadLetter> dead;
    int64_t dead_total = 0;
  };
  Route& RouteLocked(absl::string_view name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AppendLocked(Route& r, tracegate::v1::IngestRequest batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const MemoryQueueOptions options_;
  absl::Mutex mu_;
  absl::CondVar ready_cv_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<std::string, std::unique_ptr<Route>> routes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tracegate::queue
