// Fills the defaults that proto/tracegate/config/v1/config.proto documents into a Config:
// every unset (zero / empty) field that has a documented default gets it. Fields whose
// default is "none" (route environment, ca_file) stay empty. Idempotent.
// Thread-safety: touches only `config`.
#pragma once

#include <cstdint>

#include "tracegate/config/v1/config.pb.h"

namespace tracegate::config {

inline constexpr char kDefaultGrpcListen[] = "0.0.0.0:50051";
inline constexpr char kDefaultAdminListen[] = "127.0.0.1:9464";
inline constexpr uint32_t kDefaultMaxReceiveMessageBytes = 16u << 20;
inline constexpr char kDefaultDrainTimeout[] = "30s";
inline constexpr char kDefaultServiceName[] = "tracegate";
inline constexpr char kDefaultAppEnv[] = "dev";
inline constexpr uint32_t kDefaultMaxEventsPerBatch = 10000;
inline constexpr uint32_t kDefaultMaxEventBytes = 1000000;
inline constexpr uint32_t kDefaultMaxIdChars = 800;
inline constexpr char kDefaultMaxFutureSkew[] = "24h";
inline constexpr uint32_t kDefaultMaxNameChars = 1000;
inline constexpr uint32_t kDefaultMaxTags = 100;
inline constexpr char kDefaultEgress[] = "otlp";
inline constexpr char kDefaultTargetTimeout[] = "10s";
inline constexpr uint32_t kDefaultMaxBatchEvents = 500;
inline constexpr uint32_t kDefaultMaxBatchBytes = 2500000;
inline constexpr char kDefaultLinger[] = "200ms";
inline constexpr char kDefaultInitialBackoff[] = "500ms";
inline constexpr char kDefaultMaxBackoff[] = "30s";
inline constexpr int32_t kDefaultGzipLevel = 1;
inline constexpr uint32_t kDefaultWorkersPerRoute = 1;
inline constexpr char kDefaultDedupeWindow[] = "24h";
inline constexpr uint32_t kDefaultDedupeMaxEntries = 1000000;
// Redis queue (payloads ~0.5 KB per event in Redis) and embedded queue (parsed events in
// the gateway's heap: bench/run peaked at ~0.75 GB RSS with 200k, 2.6 GB with 1M).
inline constexpr uint32_t kDefaultMaxEventsPerRoute = 1000000;
inline constexpr uint32_t kDefaultMaxEventsPerRouteEmbedded = 200000;
inline constexpr char kDefaultLogLevel[] = "info";
inline constexpr char kDefaultRedisKeyPrefix[] = "tg:";
inline constexpr char kDefaultRedisConnectTimeout[] = "1s";
inline constexpr char kDefaultRedisCommandTimeout[] = "2s";
inline constexpr char kDefaultRedisClaimIdleTimeout[] = "30s";
inline constexpr uint32_t kDefaultRedisMaxDeadLetters = 100000;
inline constexpr char kDefaultRedisMaxReconnectBackoff[] = "2s";
inline constexpr char kDefaultRedisMaxClockSkew[] = "5s";

// Server.ingest_threads default: the number of CPUs (at least 1).
uint32_t DefaultIngestThreads();

void ApplyDefaults(tracegate::config::v1::Config* config);

}  // namespace tracegate::config
