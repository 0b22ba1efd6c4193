// Rate limits per API key and per workspace (config `rate_limits`, api_keys[].rate_limit):
// token buckets for events/s and bytes/s, checked once per request batch before the batch
// is handed to a worker.
//
//   auto limiter = RateLimiter::Create(config, &clock, /*previous=*/nullptr);
//   absl::Duration retry_after;
//   absl::Status st = (*limiter)->Admit(principal, request, &retry_after);
//   if (!st.ok()) { /* RESOURCE_EXHAUSTED: answer it with retry_after as the hint */ }
//
// Contract
// - Admit() charges the request's events and serialized event bytes to the key's buckets and
//   to the buckets of every workspace in it (an event without a workspace counts for the
//   request's default_workspace). It is all-or-nothing: if any bucket refuses, the tokens
//   already taken are refunded and the request is refused with RESOURCE_EXHAUSTED
//   "rate limit of API key \"<name>\" exceeded (<rate>); retry after <d>" (or "of workspace
//   \"<ws>\""), `retry_after` set to the refusing bucket's wait. Messages name the key's
//   label, never the key. Keys or workspaces without a limit are never refused.
// - Cost: one atomic compare-and-swap per bucket touched (see token_bucket.h); buckets of
//   keys and named workspaces are built at Create and looked up without locks; workspaces
//   that only have the per_workspace default get their bucket on first use in one of 16
//   mutex-sharded maps (at most `kMaxDynamicWorkspaces`; beyond that they share one bucket,
//   so a caller inventing workspace names cannot grow memory). Bytes are computed only when
//   a byte limit applies, workspaces are grouped only when a workspace limit exists.
// - Counters per key name (admitted events/bytes, refused requests/events) survive a reload:
//   Create(…, previous) carries them and the bucket fill of unchanged limits over.
// - Thread-safety: Admit and RenderPrometheus may be called from any thread concurrently.
//   Immutable configuration after Create.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gateway/core/clock.h"
#include "gateway/core/principal.h"
#include "gateway/ratelimit/token_bucket.h"
#include "tracegate/config/v1/config.pb.h"
#include "tracegate/v1/ingest_service.pb.h"

namespace tracegate::ratelimit {

inline constexpr size_t kMaxDynamicWorkspaces = 100000;

// Counters of one key (or workspace); shared between a limiter and its reloaded successor.
struct Counters {
  std::atomic<int64_t> admitted_requests{0};
  std::atomic<int64_t> admitted_events{0};
  std::atomic<int64_t> admitted_bytes{0};
  std::atomic<int64_t> limited_requests{0};
  std::atomic<int64_t> limited_events{0};
};

// The buckets of one limit (events and/or bytes), plus a description for messages.
struct Limit {
  std::unique_ptr<TokenBucket> events;  // null = events not limited
  std::unique_ptr<TokenBucket> bytes;   // null = bytes not limited
  std::string description;              // "100 events/s", "1000 events/s, 1000000 bytes/s"
  std::string signature;                // rates + burst, to match limits across reloads
};

class RateLimiter {
 public:
  static absl::StatusOr<std::unique_ptr<RateLimiter>> Create(
      const tracegate::config::v1::Config& config, const core::Clock* clock,
      const RateLimiter* previous = nullptr);
  ~RateLimiter();

  absl::Status Admit(const core::Principal& principal, const tracegate::v1::IngestRequest& request,
                     absl::Duration* retry_after);

  // False when no limit is configured at all (Admit then only counts).
  bool enabled() const { return enabled_; }

  // Prometheus text: tracegate_ratelimit_{admitted_events,admitted_bytes,limited_requests,
  // limited_events}_total by key (and limited_* by workspace for named workspaces; other
  // workspaces as "_other").
  std::string RenderPrometheus() const;

 private:
  struct KeyState {
    std::shared_ptr<Counters> counters;
    std::shared_ptr<Limit> limit;  // null = unlimited
  };
  struct WorkspaceState {
    std::shared_ptr<Counters> counters;
    std::shared_ptr<Limit> limit;
  };
  struct Shard {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, std::shared_ptr<Limit>> limits ABSL_GUARDED_BY(mu);
  };
  struct Taken;

  RateLimiter() = default;
  KeyState* FindKey(const std::string& name);
  // The limit of `workspace` (named, default or overflow), or null when unlimited; `counters`
  // receives the counters to charge.
  Limit* WorkspaceLimit(absl::string_view workspace, Counters** counters);
  // Takes from `limit`; false (and `retry_after`) when refused.
  bool Take(Limit& limit, double events, double bytes, absl::Time now, Taken* taken,
            absl::Duration* retry_after);

  const core::Clock* clock_ = nullptr;
  bool enabled_ = false;
  bool needs_bytes_ = false;
  bool needs_workspaces_ = false;
  tracegate::config::v1::RateLimit key_default_;
  tracegate::config::v1::RateLimit workspace_default_;
  absl::flat_hash_map<std::string, KeyState> keys_;  // fixed at Create
  KeyState unknown_key_;  // principals whose key is not in config (programmatic use)
  absl::flat_hash_map<std::string, WorkspaceState> named_workspaces_;  // fixed at Create
  std::shared_ptr<Counters> other_workspaces_;
  std::array<Shard, 16> shards_;
  std::atomic<size_t> dynamic_count_{0};
  std::shared_ptr<Limit> overflow_;  // shared by workspaces beyond kMaxDynamicWorkspaces
};

// A Limit from config; null when `limit` sets no rate.
std::shared_ptr<Limit> MakeLimit(const tracegate::config::v1::RateLimit& limit);

}  // namespace tracegate::ratelimit
