// The Redis queue: one Redis Stream per route, shared by every gateway replica.
//
// - Append() (and RedisIngestStore, which also dedupes) adds one stream entry per request
//   batch in one Lua call that also checks the route's cap (an event counter kept next to the
//   stream): RESOURCE_EXHAUSTED for that route only. With AOF on, an OK append survives a
//   gateway crash (and a Redis restart; a Redis crash loses at most the fsync interval).
// - Read() hands out entries through the consumer group "tracegate" (XREADGROUP, consumer
//   "<host>-<pid>-<random>" per process). Every `claim_interval` (and right after a Release)
//   it first takes over entries that sat pending longer than `claim_idle_timeout`
//   (XAUTOCLAIM): those of a replica that died, or that one released. While this process
//   holds an entry (read, not yet acked or released), a background thread refreshes its idle
//   time every claim_idle_timeout/4, so a slow delivery (Langfuse down for an hour) is never
//   claimed by another replica: no double delivery while the holder lives.
// - Ack() removes the entries (XACK + XDEL) and decrements the counter in one Lua call. When
//   Redis is unreachable the ack is kept and retried in the background (the entries stay held,
//   so nobody else takes them); Ack() then still returns OK. Release() makes entries
//   claimable at once (XCLAIM IDLE), by this or any replica.
// - Dead letters: a second stream per route, trimmed to about `max_dead_letters_per_route`
//   (XADD MAXLEN ~) with a counter of all ever written. ReplayDeadLetters() moves the oldest
//   back into the queue in one atomic Lua call.
// - UNAVAILABLE whenever Redis cannot be reached (Client backs off between reconnects);
//   nothing is stored then. Close(): Read() returns CANCELLED, Append() UNAVAILABLE; blocked
//   reads notice within `max_block`.
// - Thread-safety: all methods from any thread. Borrows the Client and the clock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "gateway/core/clock.h"
#include "gateway/core/queue.h"
#include "gateway/redis/client.h"
#include "gateway/redis/keys.h"

namespace tracegate::queue {

struct RedisQueueOptions {
  redis::Client* client = nullptr;
  redis::KeySpace keys;
  int64_t max_events_per_route = 1'000'000;
  size_t max_dead_letters_per_route = 100'000;
  absl::Duration claim_idle_timeout = absl::Seconds(30);
  // How often Read() looks for abandoned entries; default claim_idle_timeout / 4 (≤ 5 s).
  absl::Duration claim_interval = absl::ZeroDuration();
  // Longest single XREADGROUP BLOCK; bounds how late Close() is noticed.
  absl::Duration max_block = absl::Milliseconds(500);
  std::string consumer;                             // default "<host>-<pid>-<random>"
  const core::Clock* clock = &core::Clock::Real();  // dead letter times, oldest_age
};

class RedisQueue final : public core::Queue {
 public:
  static absl::StatusOr<std::unique_ptr<RedisQueue>> Create(RedisQueueOptions options);
  ~RedisQueue() override;

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

  const std::string& consumer() const { return options_.consumer; }
  // Entries this process holds for `route` (read, not acked or released), acks waiting.
  size_t held(absl::string_view route);
  size_t deferred_acks(absl::string_view route);
  // Runs one heartbeat round now (tests; the background thread does it periodically).
  void HeartbeatNow();

 private:
  // An entry this process holds: what Ack needs to remove it.
  struct Held {
    int64_t events = -1;  // -1: unknown (looked up by the ack script)
    std::string payload_key;
  };
  using AckItem = std::pair<std::string, Held>;  // entry id, what it holds
  // A stream entry as read, before its payload is fetched.
  struct RawEntry {
    std::string id;
    Held held;
    std::string skip;
    int64_t delivery_count = 1;
  };
  struct RouteState {
    absl::flat_hash_map<std::string, Held> held;  // entry id → events, payload key
    std::vector<AckItem> unacked;                 // acks to retry
    absl::Time next_claim = absl::InfinitePast();
    std::string claim_cursor = "0-0";
    core::QueueStats last_stats;
  };

  explicit RedisQueue(RedisQueueOptions options);
  RouteState& StateLocked(absl::string_view route) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status EnsureGroup(absl::string_view route);
  // XAUTOCLAIM of idle entries when due; appends to `out`.
  absl::Status ClaimIfDue(absl::string_view route, size_t max, std::vector<core::QueueEntry>* out);
  absl::Status ReadNew(absl::string_view route, size_t max, absl::Duration wait,
                       std::vector<core::QueueEntry>* out);
  // Fetches the payloads of `raw` (one MGET), parses them into `out` and holds them.
  absl::Status Materialize(absl::string_view route, const std::vector<RawEntry>& raw,
                           std::vector<core::QueueEntry>* out);
  absl::Status RunAck(absl::string_view route, const std::vector<AckItem>& entries);
  absl::Status Touch(absl::string_view route, const std::vector<std::string>& ids, int64_t idle_ms);
  void HeartbeatLoop();

  const RedisQueueOptions options_;
  redis::Client& client_;
  std::atomic<bool> closed_{false};
  absl::Mutex mu_;
  absl::CondVar stop_cv_;
  bool stop_heartbeat_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, std::unique_ptr<RouteState>> routes_ ABSL_GUARDED_BY(mu_);
  std::thread heartbeat_;
};

}  // namespace tracegate::queue
