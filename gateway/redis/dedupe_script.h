// The one Lua script behind Redis dedupe: per request batch, one EVALSHA that decides which
// event ids are new and records them, and (for the ingest path) appends the new events to the
// route's stream in the same atomic step.
//
// Semantics (`window` W, clock skew between replicas aside):
// - An id is a DUPLICATE when it was recorded for the same (route, workspace) less than W
//   ago: always. It is forgotten between W and 2W after it was recorded (never earlier).
//   An id repeated in one batch is new the first time only.
// - Storage: one Redis set per (workspace, bucket), bucket = floor(now / W). A lookup reads
//   the current and the previous bucket (SMISMEMBER), which hold every id of the last W,
//   and also the next bucket when `now` is within `max_clock_skew` of its start (a replica
//   whose clock runs ahead may have written there). New ids go into the current bucket,
//   which expires at the end of the following one (+ max_clock_skew).
// - Why sets and not a time per id: per event, a set member costs Redis about half of what
//   a hash field with a timestamp costs (bench/redis/README.md), and the budget is ~2 us of
//   Redis CPU per event for dedupe and queue together.
// - Append mode: the batch's payload is SET (with a safety TTL) in the same MULTI/EXEC as the
//   script, so it never passes through Lua. When at least one id is new, the script checks
//   the route's event counter against `cap` and either XADDs one small entry pointing at the
//   payload (with a "skip" flag string when some events were duplicates; readers drop those)
//   and records the new ids, or deletes the payload, records nothing and reports kFull.
//   All-duplicate batches append nothing.
// - Cost: a constant number of Redis commands per batch (SET, 2–3 HMGET, XADD, INCRBY, HSET,
//   PEXPIRE, PERSIST), in one round trip; no key per event.
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
  absl::string_view route;  // hash tag of the keys (the workspace's route)
  absl::string_view workspace;
  absl::Span<const absl::string_view> ids;
  // Append mode: the serialized IngestRequest whose events have `ids`, in order.
  bool append = false;
  absl::string_view payload;
  int64_t cap = 0;  // append mode: most events the route's stream may hold
  absl::Time now;
};

struct DedupeResult {
  enum class Outcome { kRecorded, kAppended, kFull };
  std::vector<bool> fresh;  // per id
  Outcome outcome = Outcome::kRecorded;
  std::string entry_id;  // kAppended
  int64_t queued = 0;    // kFull: events the route held
};

absl::StatusOr<DedupeResult> RunDedupe(Client& client, const KeySpace& keys,
                                       const DedupeWindow& window, const DedupeCall& call);

// Removes ids again (from every bucket a lookup at `call.now` would read).
absl::Status RunForget(Client& client, const KeySpace& keys, const DedupeWindow& window,
                       const DedupeCall& call);

}  // namespace tracegate::redis
