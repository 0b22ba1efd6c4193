#include "gateway/server/stores.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "gateway/config/validate_config.h"
#include "gateway/dedupe/memory_deduper.h"
#include "gateway/observability/log.h"
#include "gateway/queue/memory_queue.h"
#include "gateway/queue/redis_ingest_store.h"
#include "gateway/queue/redis_queue.h"
#include "gateway/redis/redis_url.h"

namespace tracegate::server {
namespace {

absl::Duration DurationOr(const std::string& text, absl::string_view key, absl::Duration dflt) {
  if (text.empty()) return dflt;
  auto d = config::ParseDurationField(text, key);
  return d.ok() ? *d : dflt;
}

absl::StatusOr<Stores> MakeRedisStores(const tracegate::config::v1::Config& cfg,
                                       const core::Clock* clock) {
  const auto& rc = cfg.redis();
  absl::StatusOr<redis::RedisEndpoint> endpoint = redis::ParseRedisUrl(rc.url());
  if (!endpoint.ok()) return endpoint.status();
  redis::ClientOptions copts;
  copts.connection.endpoint = *endpoint;
  copts.connection.connect_timeout =
      DurationOr(rc.connect_timeout(), "redis.connect_timeout", absl::Seconds(1));
  copts.connection.command_timeout =
      DurationOr(rc.command_timeout(), "redis.command_timeout", absl::Seconds(2));
  copts.max_backoff =
      DurationOr(rc.max_reconnect_backoff(), "redis.max_reconnect_backoff", absl::Seconds(2));
  copts.initial_backoff = std::min(absl::Milliseconds(100), copts.max_backoff);
  Stores s;
  auto client = redis::Client::Create(copts);
  if (!client.ok()) return client.status();
  s.redis = *std::move(client);
  const redis::KeySpace keys(rc.key_prefix().empty() ? "tg:" : rc.key_prefix());

  queue::RedisQueueOptions qopts;
  qopts.client = s.redis.get();
  qopts.keys = keys;
  qopts.max_events_per_route = cfg.queue().max_events_per_route();
  qopts.max_dead_letters_per_route = std::max<uint32_t>(1, rc.max_dead_letters_per_route());
  qopts.claim_idle_timeout =
      DurationOr(rc.claim_idle_timeout(), "redis.claim_idle_timeout", absl::Seconds(30));
  qopts.clock = clock;
  auto q = queue::RedisQueue::Create(qopts);
  if (!q.ok()) return q.status();

  queue::RedisIngestStoreOptions sopts;
  sopts.client = s.redis.get();
  sopts.keys = keys;
  sopts.window.window = DurationOr(cfg.dedupe().window(), "dedupe.window", absl::Hours(24));
  sopts.window.max_clock_skew =
      DurationOr(rc.max_clock_skew(), "redis.max_clock_skew", absl::Seconds(5));
  sopts.max_events_per_route = cfg.queue().max_events_per_route();
  sopts.clock = clock;
  auto store = queue::RedisIngestStore::Create(sopts);
  if (!store.ok()) return store.status();

  std::string consumer = (*q)->consumer();
  s.queue = *std::move(q);
  s.store = *std::move(store);
  // Find out now whether Redis answers, so readiness is right from the start.
  absl::StatusOr<redis::ReplyPtr> pong = s.redis->Command(redis::Args{"PING"});
  std::string where = endpoint->Redacted();
  if (pong.ok()) {
    log::Info("redis stores: dedupe and queue shared through Redis",
              {{"redis", where}, {"key_prefix", keys.prefix()}, {"consumer", consumer}});
  } else {
    std::string error(pong.status().message());
    log::Error("redis unreachable at start; not ready until it answers (reconnecting)",
               {{"redis", where}, {"error", error}});
  }
  return s;
}

}  // namespace

std::string Stores::NotReadyReason() const {
  if (redis == nullptr || redis->healthy()) return "";
  return absl::StrCat("redis unreachable: ", redis->last_error());
}

absl::StatusOr<Stores> MakeStores(const tracegate::config::v1::Config& cfg,
                                  const core::Clock* clock) {
  if (!cfg.redis().url().empty()) return MakeRedisStores(cfg, clock);
  Stores s;
  dedupe::MemoryDeduperOptions dopts;
  dopts.window = DurationOr(cfg.dedupe().window(), "dedupe.window", absl::Hours(24));
  dopts.max_entries_per_workspace = cfg.dedupe().max_entries();
  dopts.clock = clock;
  s.deduper = std::make_unique<dedupe::MemoryDeduper>(dopts);
  queue::MemoryQueueOptions qopts;
  qopts.max_events_per_route = cfg.queue().max_events_per_route();
  qopts.clock = clock;
  s.queue = std::make_unique<queue::MemoryQueue>(qopts);
  s.store = std::make_unique<core::SplitIngestStore>(s.deduper.get(), s.queue.get());
  log::Warn(
      "embedded queue and dedupe: single replica, queued events are lost if the "
      "process dies (configure redis.url for durability and several replicas)");
  return s;
}

}  // namespace tracegate::server
