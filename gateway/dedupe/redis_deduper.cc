#include "gateway/dedupe/redis_deduper.h"

namespace tracegate::dedupe {

absl::StatusOr<std::unique_ptr<RedisDeduper>> RedisDeduper::Create(RedisDeduperOptions options) {
  if (options.client == nullptr) return absl::InvalidArgumentError("RedisDeduper: no client");
  if (options.clock == nullptr) return absl::InvalidArgumentError("RedisDeduper: no clock");
  if (options.window.window <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("RedisDeduper: window must be > 0");
  }
  return std::unique_ptr<RedisDeduper>(new RedisDeduper(std::move(options)));
}

std::string RedisDeduper::RouteOf(absl::string_view workspace) const {
  return options_.route_of ? options_.route_of(workspace) : std::string(workspace);
}

absl::StatusOr<std::vector<bool>> RedisDeduper::MarkNew(absl::string_view workspace,
                                                        absl::Span<const absl::string_view> ids) {
  const std::string route = RouteOf(workspace);
  redis::DedupeCall call;
  call.route = route;
  call.workspace = workspace;
  call.ids = ids;
  call.now = options_.clock->Now();
  absl::StatusOr<redis::DedupeResult> r =
      redis::RunDedupe(*options_.client, options_.keys, options_.window, call);
  if (!r.ok()) return r.status();
  if (ids.empty()) return std::vector<bool>();
  return std::move(r->fresh);
}

void RedisDeduper::Forget(absl::string_view workspace, absl::Span<const absl::string_view> ids) {
  const std::string route = RouteOf(workspace);
  redis::DedupeCall call;
  call.route = route;
  call.workspace = workspace;
  call.ids = ids;
  call.now = options_.clock->Now();
  (void)redis::RunForget(*options_.client, options_.keys, options_.window, call);
}

}  // namespace tracegate::dedupe
