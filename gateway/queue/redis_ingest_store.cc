#include "gateway/queue/redis_ingest_store.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace tracegate::queue {

absl::StatusOr<std::unique_ptr<RedisIngestStore>> RedisIngestStore::Create(
    RedisIngestStoreOptions options) {
  if (options.client == nullptr) return absl::InvalidArgumentError("RedisIngestStore: no client");
  if (options.clock == nullptr) return absl::InvalidArgumentError("RedisIngestStore: no clock");
  if (options.max_events_per_route <= 0 || options.window.window <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("RedisIngestStore: cap and window must be > 0");
  }
  return std::unique_ptr<RedisIngestStore>(new RedisIngestStore(std::move(options)));
}

absl::StatusOr<core::IngestResult> RedisIngestStore::DedupeAndAppend(
    absl::string_view workspace, absl::string_view route, tracegate::v1::IngestRequest batch) {
  core::IngestResult result;
  if (batch.events_size() == 0) return result;
  std::vector<absl::string_view> ids;
  ids.reserve(batch.events_size());
  for (const auto& e : batch.events()) ids.push_back(e.event_id());
  std::string payload;
  batch.SerializeToString(&payload);

  redis::DedupeCall call;
  call.route = route;
  call.workspace = workspace;
  call.ids = ids;
  call.append = true;
  call.payload = payload;
  call.cap = options_.max_events_per_route;
  call.now = options_.clock->Now();
  absl::StatusOr<redis::DedupeResult> r =
      redis::RunDedupe(*options_.client, options_.keys, options_.window, call);
  if (!r.ok()) return r.status();
  result.fresh = std::move(r->fresh);
  if (r->outcome == redis::DedupeResult::Outcome::kFull) {
    result.append = absl::ResourceExhaustedError(
        absl::StrCat("route \"", route, "\" queue is full (", r->queued, " events queued)"));
  }
  return result;
}

}  // namespace tracegate::queue
