#include "gateway/config/defaults.h"

#include <string>
#include <thread>

#include "gateway/config/privacy_config.h"
#include "gateway/config/security_config.h"

namespace tracegate::config {
namespace {

void SetIfEmpty(std::string* field, const char* value) {
  if (field->empty()) *field = value;
}

}  // namespace

uint32_t DefaultIngestThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

void ApplyDefaults(v1::Config* config) {
  v1::Server* server = config->mutable_server();
  SetIfEmpty(server->mutable_grpc_listen(), kDefaultGrpcListen);
  SetIfEmpty(server->mutable_admin_listen(), kDefaultAdminListen);
  if (server->max_receive_message_bytes() == 0) {
    server->set_max_receive_message_bytes(kDefaultMaxReceiveMessageBytes);
  }
  if (server->ingest_threads() == 0) server->set_ingest_threads(DefaultIngestThreads());
  SetIfEmpty(server->mutable_drain_timeout(), kDefaultDrainTimeout);
  SetIfEmpty(server->mutable_service_name(), kDefaultServiceName);
  SetIfEmpty(server->mutable_app_env(), kDefaultAppEnv);

  v1::Limits* limits = config->mutable_limits();
  if (limits->max_events_per_batch() == 0) {
    limits->set_max_events_per_batch(kDefaultMaxEventsPerBatch);
  }
  if (limits->max_event_bytes() == 0) limits->set_max_event_bytes(kDefaultMaxEventBytes);
  if (limits->max_id_chars() == 0) limits->set_max_id_chars(kDefaultMaxIdChars);
  SetIfEmpty(limits->mutable_max_future_skew(), kDefaultMaxFutureSkew);
  if (limits->max_name_chars() == 0) limits->set_max_name_chars(kDefaultMaxNameChars);
  if (limits->max_tags() == 0) limits->set_max_tags(kDefaultMaxTags);

  for (v1::Route& route : *config->mutable_routes()) {
    SetIfEmpty(route.mutable_egress(), kDefaultEgress);
    SetIfEmpty(route.mutable_langfuse()->mutable_timeout(), kDefaultTargetTimeout);
  }

  v1::Export* exp = config->mutable_export_();
  if (exp->max_batch_events() == 0) exp->set_max_batch_events(kDefaultMaxBatchEvents);
  if (exp->max_batch_bytes() == 0) exp->set_max_batch_bytes(kDefaultMaxBatchBytes);
  SetIfEmpty(exp->mutable_linger(), kDefaultLinger);
  SetIfEmpty(exp->mutable_initial_backoff(), kDefaultInitialBackoff);
  SetIfEmpty(exp->mutable_max_backoff(), kDefaultMaxBackoff);
  // max_attempts: 0 is the default (retry until the drain deadline).
  if (exp->gzip_level() == 0) exp->set_gzip_level(kDefaultGzipLevel);
  if (exp->workers_per_route() == 0) exp->set_workers_per_route(kDefaultWorkersPerRoute);

  v1::Dedupe* dedupe = config->mutable_dedupe();
  SetIfEmpty(dedupe->mutable_window(), kDefaultDedupeWindow);
  if (dedupe->max_entries() == 0) dedupe->set_max_entries(kDefaultDedupeMaxEntries);

  v1::Queue* queue = config->mutable_queue();
  if (queue->max_events_per_route() == 0) {
    queue->set_max_events_per_route(config->redis().url().empty()
                                        ? kDefaultMaxEventsPerRouteEmbedded
                                        : kDefaultMaxEventsPerRoute);
  }

  SetIfEmpty(config->mutable_logging()->mutable_level(), kDefaultLogLevel);

  v1::Redis* redis = config->mutable_redis();
  SetIfEmpty(redis->mutable_key_prefix(), kDefaultRedisKeyPrefix);
  SetIfEmpty(redis->mutable_connect_timeout(), kDefaultRedisConnectTimeout);
  SetIfEmpty(redis->mutable_command_timeout(), kDefaultRedisCommandTimeout);
  SetIfEmpty(redis->mutable_claim_idle_timeout(), kDefaultRedisClaimIdleTimeout);
  if (redis->max_dead_letters_per_route() == 0) {
    redis->set_max_dead_letters_per_route(kDefaultRedisMaxDeadLetters);
  }
  SetIfEmpty(redis->mutable_max_reconnect_backoff(), kDefaultRedisMaxReconnectBackoff);
  SetIfEmpty(redis->mutable_max_clock_skew(), kDefaultRedisMaxClockSkew);
  ApplySecurityDefaults(config);
  ApplyPrivacyDefaults(config);
}

}  // namespace tracegate::config
