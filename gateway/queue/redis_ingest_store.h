// The Redis ingest store: dedupe and queue a request batch in ONE Redis round trip.
//
// DedupeAndAppend() runs the dedupe script of gateway/redis/dedupe_script.h in append mode:
// in one MULTI/EXEC it stores the batch's payload, looks the event ids up in the workspace's
// dedupe hashes, XADDs one entry for the new events to the route's stream (after the cap
// check) and records the new ids, atomically. So there is no moment where ids are marked but their
// events not stored, or the other way round, whichever replica or thread runs next. Keys:
// redis/keys.h (all under the route's hash tag, one Cluster slot).
//
// - append = RESOURCE_EXHAUSTED when the route holds `max_events_per_route` events already
//   (nothing recorded); an UNAVAILABLE error when Redis cannot be reached or timed out (a
//   timeout after the script ran means the batch is queued: the client's retry is DUPLICATE).
// - Thread-safe; borrows the Client and the clock. Same key layout as RedisQueue, which
//   reads what this appends, and RedisDeduper.
#pragma once

#include <memory>

#include "gateway/core/clock.h"
#include "gateway/core/ingest_store.h"
#include "gateway/redis/client.h"
#include "gateway/redis/dedupe_script.h"
#include "gateway/redis/keys.h"

namespace tracegate::queue {

struct RedisIngestStoreOptions {
  redis::Client* client = nullptr;
  redis::KeySpace keys;
  redis::DedupeWindow window;
  int64_t max_events_per_route = 1'000'000;
  const core::Clock* clock = &core::Clock::Real();
};

class RedisIngestStore final : public core::IngestStore {
 public:
  static absl::StatusOr<std::unique_ptr<RedisIngestStore>> Create(RedisIngestStoreOptions options);

  absl::StatusOr<core::IngestResult> DedupeAndAppend(absl::string_view workspace,
                                                     absl::string_view route,
                                                     tracegate::v1::IngestRequest batch) override;

 private:
  explicit RedisIngestStore(RedisIngestStoreOptions options) : options_(std::move(options)) {}
  const RedisIngestStoreOptions options_;
};

}  // namespace tracegate::queue
