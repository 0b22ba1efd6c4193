// The Redis deduper: remembers (workspace, event_id) in Redis, shared by every replica.
//
// MarkNew() is one EVALSHA per call (per request batch), whatever the number of ids; the
// exact semantics and data layout are in gateway/redis/dedupe_script.h (hashes per
// workspace and window-long bucket, first-seen time per id, ±max_clock_skew). The ingest
// path normally uses queue::RedisIngestStore, which runs the same script and appends the
// batch in the same step; this class serves callers that only dedupe.
//
// - Keys live under the hash tag of the workspace's route (`route_of`), like the queue's,
//   so one Cluster slot holds a route's dedupe and queue state. A workspace moved to another
//   route starts with an empty dedupe history there.
// - UNAVAILABLE when Redis cannot be reached (nothing recorded); the client's retry is safe.
//   Forget() is best effort: when Redis is unreachable the ids stay recorded, and a client
//   that resends them gets DUPLICATE for events that were not queued.
// - Thread-safe; borrows the Client (it must outlive the deduper).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "gateway/core/clock.h"
#include "gateway/core/deduper.h"
#include "gateway/redis/client.h"
#include "gateway/redis/dedupe_script.h"
#include "gateway/redis/keys.h"

namespace tracegate::dedupe {

struct RedisDeduperOptions {
  redis::Client* client = nullptr;
  redis::KeySpace keys;
  redis::DedupeWindow window;
  // The route whose hash tag a workspace's keys carry; default: the workspace itself.
  std::function<std::string(absl::string_view workspace)> route_of;
  const core::Clock* clock = &core::Clock::Real();
};

class RedisDeduper final : public core::Deduper {
 public:
  static absl::StatusOr<std::unique_ptr<RedisDeduper>> Create(RedisDeduperOptions options);

  absl::StatusOr<std::vector<bool>> MarkNew(absl::string_view workspace,
                                            absl::Span<const absl::string_view> ids) override;
  void Forget(absl::string_view workspace, absl::Span<const absl::string_view> ids) override;

 private:
  explicit RedisDeduper(RedisDeduperOptions options) : options_(std::move(options)) {}
  std::string RouteOf(absl::string_view workspace) const;
  const RedisDeduperOptions options_;
};

}  // namespace tracegate::dedupe
