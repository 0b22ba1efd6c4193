// The configuration-dependent half of the gateway, built as one immutable Snapshot per
// config version and swapped atomically on reload (SIGHUP, POST /admin/reload).
//
//   auto snap = BuildSnapshot(config, current.get(), {.clock = clock, .make_pipeline = f});
//   if (!snap.ok()) { /* refuse the reload; `current` keeps running */ }
//   holder.Store(*snap);                     // new calls see it; running calls keep theirs
//
// A Snapshot holds the authenticator (api_keys), router (routes, Langfuse keys read from
// their files now), validator (limits), rate limiter (rate_limits; bucket fill and counters
// carried over from the previous snapshot), the ingest pipeline built for those, and the
// admin key. The ingest service reads the current snapshot once per call through
// `Scope()`, which keeps it alive until the call is answered: a reload never mixes two
// versions inside one request and never waits for running calls.
// Errors from BuildSnapshot name the part that failed (a route whose key file cannot be
// read, ...); messages never contain key values.
// Thread-safety: a Snapshot is immutable; SnapshotHolder's Load/Store may race freely.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/auth/authenticator.h"
#include "gateway/core/clock.h"
#include "gateway/ratelimit/rate_limiter.h"
#include "gateway/receive/ingest_pipeline.h"
#include "gateway/receive/ingest_service.h"
#include "gateway/route/router.h"
#include "gateway/validate/validator.h"
#include "tracegate/config/v1/config.pb.h"

namespace tracegate::server {

struct Snapshot {
  uint64_t version = 0;
  tracegate::config::v1::Config config;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::unique_ptr<route::Router> router;
  std::unique_ptr<validate::Validator> validator;
  std::unique_ptr<ratelimit::RateLimiter> limiter;
  std::unique_ptr<receive::IngestPipeline> pipeline;
  // Checks the admin key (security.admin_key_sha256); null = none configured.
  std::unique_ptr<auth::Authenticator> admin;
  // What the ingest service uses (points into this snapshot).
  receive::IngestScope scope;
};

struct SnapshotOptions {
  const core::Clock* clock = &core::Clock::Real();
  route::RouterOptions router;
  // Builds the ingest pipeline for a snapshot whose router, validator and limiter are set
  // (the gateway adds its deduper, queue, telemetry and policies).
  std::function<absl::StatusOr<std::unique_ptr<receive::IngestPipeline>>(const Snapshot&)>
      make_pipeline;
};

// `previous` (may be null) lends its rate-limiter state and fixes the new version number.
absl::StatusOr<std::shared_ptr<Snapshot>> BuildSnapshot(tracegate::config::v1::Config config,
                                                        const Snapshot* previous,
                                                        const SnapshotOptions& options);

// True when "Authorization: Bearer <key>" carries the admin key of `snapshot` (constant-time
// comparison of SHA-256 digests). False when no admin key is configured.
bool IsAdminKey(const Snapshot& snapshot, absl::string_view authorization);

// The current snapshot, swapped atomically.
class SnapshotHolder {
 public:
  std::shared_ptr<const Snapshot> Load() const { return std::atomic_load(&current_); }
  void Store(std::shared_ptr<const Snapshot> next) {
    std::atomic_store(&current_, std::move(next));
  }
  // The current snapshot's ingest scope, sharing ownership of the snapshot.
  std::shared_ptr<const receive::IngestScope> Scope() const {
    std::shared_ptr<const Snapshot> s = Load();
    return std::shared_ptr<const receive::IngestScope>(s, &s->scope);
  }

 private:
  std::shared_ptr<const Snapshot> current_;
};

}  // namespace tracegate::server
