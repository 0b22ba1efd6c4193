// The one Lua script behind Redis dedupe: per request batch, one EVALSHA that decides which
// event ids are new and records them, and (for the ingest path) appends the new events to the
// route's stream in the same atomic step.
//
// Semantics (exact up to clock skew between replicas):
// - An id is a DUPLICATE when it was recorded for the same (route, workspace) less than
//   `window` ago; otherwise it is new and recorded with the caller's time. An id repeated in
//   one batch is new the first time only.
// - Storage: one hash per (workspace, bucket), bucket = floor(now / window), field = event
//   id, value = first-seen ms. A lookup reads the current and previous bucket (that covers
//   `window` exactly, since the timestamps are compared) and the next bucket when `now` is
//   within `max_clock_skew` of its start (a replica whose clock runs ahead may have written
//   there). A bucket expires `max_clock_skew` after it can no longer matter (≤ 2 windows).
// - Append mode: when at least one id is new, the script checks the route's event counter
//   against `cap` and either XADDs one entry holding exactly the new events (then records
//   them) or records nothing and reports kFull. All-duplicate batches append nothing.
// - Cost: a constant number of Redis commands per batch (2–3 HMGET, XADD, INCRBY, HSET,
//   PEXPIRE), in one round trip; no key per event.
// Thread-safety: the functions are thread-safe (the Script object is shared).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gateway/redis/client.h"
#include "gateway/redis/keys.h"

namespace tracegate::redis {

struct DedupeWindow {
  absl::Duration window = absl::Hours(24);
  absl::Duration max_clock_skew = absl::Seconds(5);
};

struct DedupeCall {
  absl::string_view route;      // hash tag of the keys (the workspace's route)
  absl::string_view workspace;
  absl::Span<const absl::string_view> ids;
  // Append mode when not empty: records[i] is the encoded event (entry_codec.h) of ids[i].
  absl::Span<const absl::string_view> records;
  int64_t cap = 0;  // append mode: most events the route's stream may hold
  absl::Time now;
};

struct DedupeResult {
  enum class Outcome { kRecorded, kAppended, kFull };
  std::vector<bool> fresh;  // per id
  Outcome outcome = Outcome::kRecorded;
  std::string entry_id;     // kAppended
  int64_t queued = 0;       // kFull: events the route held
};

absl::StatusOr<DedupeResult> RunDedupe(Client& client, const KeySpace& keys,
                                       const DedupeWindow& window, const DedupeCall& call);

// Removes ids again (from every bucket a lookup at `call.now` would read).
absl::Status RunForget(Client& client, const KeySpace& keys, const DedupeWindow& window,
                       const DedupeCall& call);

}  // namespace tracegate::redis
