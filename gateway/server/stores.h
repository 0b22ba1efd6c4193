// The dedupe and queue stores the gateway runs with, chosen from config:
// - `redis.url` set: a Redis client, RedisQueue (one stream per route) and RedisIngestStore
//   (dedupe + append in one round trip), shared with every other replica on that Redis.
// - otherwise: MemoryDeduper + MemoryQueue behind a SplitIngestStore (one replica; queued
//   events are lost when the process dies, which start-up logs say).
// MakeStores() does not need Redis to be up: the gateway starts, reports not ready
// (NotReadyReason) and answers UNAVAILABLE until Redis is reachable, reconnecting by itself.
// Errors: INVALID_ARGUMENT for a bad redis section (config validation catches it first).
// Thread-safety: the stores are thread-safe; Stores itself is owned by the gateway.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gateway/core/clock.h"
#include "gateway/core/deduper.h"
#include "gateway/core/ingest_store.h"
#include "gateway/core/queue.h"
#include "gateway/redis/client.h"
#include "tracegate/config/v1/config.pb.h"

namespace tracegate::server {

struct Stores {
  // Declared first so it is destroyed last (the stores borrow it).
  std::unique_ptr<redis::Client> redis;
  std::unique_ptr<core::Deduper> deduper;  // embedded only
  std::unique_ptr<core::Queue> queue;
  std::unique_ptr<core::IngestStore> store;

  bool durable() const { return redis != nullptr; }
  // "" when the stores can take events; otherwise why not ("redis unreachable: ...").
  std::string NotReadyReason() const;
};

absl::StatusOr<Stores> MakeStores(const tracegate::config::v1::Config& config,
                                  const core::Clock* clock);

}  // namespace tracegate::server
