#include "gateway/ratelimit/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tracegate::ratelimit {
namespace {

using tracegate::config::v1::RateLimit;

bool HasRate(const RateLimit& limit) {
  return limit.events_per_second() > 0 || limit.bytes_per_second() > 0;
}

absl::Duration Burst(const RateLimit& limit) {
  absl::Duration d;
  if (limit.burst().empty() || !absl::ParseDuration(limit.burst(), &d) ||
      d <= absl::ZeroDuration()) {
    return absl::Seconds(1);
  }
  return d;
}

std::string Number(double v) { return absl::StrFormat("%.15g", v); }

// Prometheus label value escaping.
std::string Label(absl::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Serialized size of one repeated `events` entry (tag + length + body).
int64_t EventWireBytes(const tracegate::v1::TraceEvent& ev) {
  const int64_t n = ev.GetCachedSize();
  int64_t len_bytes = 1;
  for (int64_t v = n; v >= 0x80; v >>= 7) ++len_bytes;
  return 1 + len_bytes + n;
}

}  // namespace

struct RateLimiter::Taken {
  struct Item {
    Limit* limit;
    double events;
    double bytes;
  };
  absl::InlinedVector<Item, 4> items;
  void RefundAll() {
    for (const Item& i : items) {
      if (i.limit->events) i.limit->events->Refund(i.events);
      if (i.limit->bytes) i.limit->bytes->Refund(i.bytes);
    }
  }
};

std::shared_ptr<Limit> MakeLimit(const RateLimit& config) {
  if (!HasRate(config)) return nullptr;
  auto limit = std::make_shared<Limit>();
  const double burst_s = absl::ToDoubleSeconds(Burst(config));
  std::vector<std::string> parts;
  if (config.events_per_second() > 0) {
    const double rate = config.events_per_second();
    limit->events = std::make_unique<TokenBucket>(rate, std::max(1.0, rate * burst_s));
    parts.push_back(absl::StrCat(Number(rate), " events/s"));
  }
  if (config.bytes_per_second() > 0) {
    const double rate = config.bytes_per_second();
    limit->bytes = std::make_unique<TokenBucket>(rate, std::max(1.0, rate * burst_s));
    parts.push_back(absl::StrCat(Number(rate), " bytes/s"));
  }
  limit->description = parts.size() == 2 ? absl::StrCat(parts[0], ", ", parts[1]) : parts[0];
  limit->signature = absl::StrCat(Number(config.events_per_second()), "|",
                                  Number(config.bytes_per_second()), "|", burst_s);
  return limit;
}

namespace {

// `fresh` unless `old` has the same signature (then the old buckets, with their fill, stay).
std::shared_ptr<Limit> Keep(std::shared_ptr<Limit> fresh, const std::shared_ptr<Limit>& old) {
  if (fresh && old && fresh->signature == old->signature) return old;
  return fresh;
}

}  // namespace

RateLimiter::~RateLimiter() = default;

absl::StatusOr<std::unique_ptr<RateLimiter>> RateLimiter::Create(
    const tracegate::config::v1::Config& config, const core::Clock* clock,
    const RateLimiter* previous) {
  if (clock == nullptr) return absl::InvalidArgumentError("RateLimiter: clock is required");
  std::unique_ptr<RateLimiter> self(new RateLimiter());
  self->clock_ = clock;
  const auto& limits = config.rate_limits();
  self->key_default_ = limits.per_key();
  self->workspace_default_ = limits.per_workspace();

  auto note = [&](const std::shared_ptr<Limit>& l) {
    if (!l) return;
    self->enabled_ = true;
    if (l->bytes) self->needs_bytes_ = true;
  };
  for (const auto& key : config.api_keys()) {
    KeyState state;
    const KeyState* old = nullptr;
    if (previous != nullptr) {
      auto it = previous->keys_.find(key.name());
      if (it != previous->keys_.end()) old = &it->second;
    }
    state.counters = old ? old->counters : std::make_shared<Counters>();
    state.limit = Keep(MakeLimit(key.has_rate_limit() ? key.rate_limit() : limits.per_key()),
                       old ? old->limit : nullptr);
    note(state.limit);
    self->keys_.emplace(key.name(), std::move(state));
  }
  self->unknown_key_.counters = std::make_shared<Counters>();
  self->unknown_key_.limit = MakeLimit(limits.per_key());
  note(self->unknown_key_.limit);

  for (const auto& [workspace, limit] : limits.workspaces()) {
    WorkspaceState state;
    const WorkspaceState* old = nullptr;
    if (previous != nullptr) {
      auto it = previous->named_workspaces_.find(workspace);
      if (it != previous->named_workspaces_.end()) old = &it->second;
    }
    state.counters = old ? old->counters : std::make_shared<Counters>();
    state.limit = Keep(MakeLimit(limit), old ? old->limit : nullptr);
    note(state.limit);
    if (state.limit) self->needs_workspaces_ = true;
    self->named_workspaces_.emplace(workspace, std::move(state));
  }
  self->other_workspaces_ =
      previous != nullptr ? previous->other_workspaces_ : std::make_shared<Counters>();
  if (HasRate(limits.per_workspace())) {
    self->needs_workspaces_ = true;
    self->overflow_ = MakeLimit(limits.per_workspace());
    note(self->overflow_);
    // Same default as before: keep the per-workspace buckets (and their fill).
    if (previous != nullptr && previous->overflow_ &&
        previous->overflow_->signature == self->overflow_->signature) {
      self->overflow_ = previous->overflow_;
      for (size_t i = 0; i < self->shards_.size(); ++i) {
        Shard& from = const_cast<Shard&>(previous->shards_[i]);
        absl::MutexLock lock(&from.mu);
        self->shards_[i].limits = from.limits;
      }
      self->dynamic_count_.store(previous->dynamic_count_.load());
    }
  }
  return self;
}

RateLimiter::KeyState* RateLimiter::FindKey(const std::string& name) {
  auto it = keys_.find(name);
  return it != keys_.end() ? &it->second : &unknown_key_;
}

Limit* RateLimiter::WorkspaceLimit(absl::string_view workspace, Counters** counters) {
  auto named = named_workspaces_.find(workspace);
  if (named != named_workspaces_.end()) {
    *counters = named->second.counters.get();
    return named->second.limit.get();
  }
  *counters = other_workspaces_.get();
  if (!overflow_) return nullptr;
  Shard& shard = shards_[absl::HashOf(workspace) % shards_.size()];
  absl::MutexLock lock(&shard.mu);
  auto it = shard.limits.find(workspace);
  if (it != shard.limits.end()) return it->second.get();
  if (dynamic_count_.load(std::memory_order_relaxed) >= kMaxDynamicWorkspaces) {
    return overflow_.get();
  }
  dynamic_count_.fetch_add(1, std::memory_order_relaxed);
  auto limit = MakeLimit(workspace_default_);
  Limit* raw = limit.get();
  shard.limits.emplace(std::string(workspace), std::move(limit));
  return raw;
}

bool RateLimiter::Take(Limit& limit, double events, double bytes, absl::Time now, Taken* taken,
                       absl::Duration* retry_after) {
  if (limit.events) {
    absl::Duration wait = limit.events->TryTake(events, now);
    if (wait > absl::ZeroDuration()) {
      *retry_after = wait;
      return false;
    }
  }
  if (limit.bytes) {
    absl::Duration wait = limit.bytes->TryTake(bytes, now);
    if (wait > absl::ZeroDuration()) {
      if (limit.events) limit.events->Refund(events);
      *retry_after = wait;
      return false;
    }
  }
  taken->items.push_back({&limit, events, bytes});
  return true;
}

absl::Status RateLimiter::Admit(const core::Principal& principal,
                                const tracegate::v1::IngestRequest& request,
                                absl::Duration* retry_after) {
  KeyState* key = FindKey(principal.key_name);
  const int64_t events = request.events_size();
  const int64_t bytes = needs_bytes_ ? static_cast<int64_t>(request.ByteSizeLong()) : 0;
  auto refuse = [&](Counters* ws_counters, absl::string_view what, const Limit& limit,
                    absl::Duration wait) {
    key->counters->limited_requests.fetch_add(1, std::memory_order_relaxed);
    key->counters->limited_events.fetch_add(events, std::memory_order_relaxed);
    if (ws_counters != nullptr) {
      ws_counters->limited_requests.fetch_add(1, std::memory_order_relaxed);
      ws_counters->limited_events.fetch_add(events, std::memory_order_relaxed);
    }
    *retry_after = absl::Ceil(wait, absl::Milliseconds(1));
    return absl::ResourceExhaustedError(absl::StrCat("rate limit of ", what, " exceeded (",
                                                     limit.description, "); retry after ",
                                                     absl::FormatDuration(*retry_after)));
  };
  if (enabled_) {
    const absl::Time now = clock_->Now();
    Taken taken;
    absl::Duration wait;
    if (key->limit && !Take(*key->limit, events, bytes, now, &taken, &wait)) {
      return refuse(nullptr, absl::StrCat("API key \"", principal.key_name, "\""), *key->limit,
                    wait);
    }
    if (needs_workspaces_) {
      // Group the batch by workspace (normally one); a map only for many distinct ones.
      struct Group {
        absl::string_view workspace;
        int64_t events = 0;
        int64_t bytes = 0;
      };
      absl::InlinedVector<Group, 4> groups;
      absl::flat_hash_map<absl::string_view, size_t> index;
      for (const auto& ev : request.events()) {
        absl::string_view ws = ev.workspace().empty()
                                   ? absl::string_view(request.default_workspace())
                                   : absl::string_view(ev.workspace());
        if (ws.empty()) continue;  // rejected later by the pipeline
        size_t g = groups.size();
        if (!groups.empty() && groups.back().workspace == ws) {
          g = groups.size() - 1;
        } else if (groups.size() < 8) {
          for (size_t i = 0; i < groups.size(); ++i) {
            if (groups[i].workspace == ws) g = i;
          }
        } else {
          if (index.empty()) {
            for (size_t i = 0; i < groups.size(); ++i) index.emplace(groups[i].workspace, i);
          }
          auto [it, fresh] = index.emplace(ws, groups.size());
          g = it->second;
        }
        if (g == groups.size()) groups.push_back(Group{ws});
        groups[g].events += 1;
        if (needs_bytes_) groups[g].bytes += EventWireBytes(ev);
      }
      for (const Group& g : groups) {
        Counters* counters = nullptr;
        Limit* limit = WorkspaceLimit(g.workspace, &counters);
        if (limit != nullptr && !Take(*limit, g.events, g.bytes, now, &taken, &wait)) {
          taken.RefundAll();
          return refuse(counters, absl::StrCat("workspace \"", g.workspace, "\""), *limit, wait);
        }
      }
    }
  }
  key->counters->admitted_requests.fetch_add(1, std::memory_order_relaxed);
  key->counters->admitted_events.fetch_add(events, std::memory_order_relaxed);
  key->counters->admitted_bytes.fetch_add(bytes, std::memory_order_relaxed);
  return absl::OkStatus();
}

std::string RateLimiter::RenderPrometheus() const {
  std::vector<std::pair<std::string, const Counters*>> keys;
  for (const auto& [name, state] : keys_) keys.emplace_back(name, state.counters.get());
  std::sort(keys.begin(), keys.end());
  std::vector<std::pair<std::string, const Counters*>> workspaces;
  for (const auto& [name, state] : named_workspaces_) {
    workspaces.emplace_back(name, state.counters.get());
  }
  std::sort(workspaces.begin(), workspaces.end());
  workspaces.emplace_back("_other", other_workspaces_.get());

  std::string out;
  auto family = [&](const char* name, const char* help, const char* label,
                    const std::vector<std::pair<std::string, const Counters*>>& rows,
                    std::atomic<int64_t> Counters::*field) {
    absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " counter\n");
    for (const auto& [row, c] : rows) {
      absl::StrAppend(&out, name, "{", label, "=\"", Label(row), "\"} ",
                      (c->*field).load(std::memory_order_relaxed), "\n");
    }
  };
  family("tracegate_ratelimit_admitted_events_total",
         "Events in requests that passed the rate limits, by API key name", "key", keys,
         &Counters::admitted_events);
  family("tracegate_ratelimit_admitted_bytes_total",
         "Serialized bytes of requests that passed the rate limits (counted when a byte limit "
         "is configured), by API key name",
         "key", keys, &Counters::admitted_bytes);
  family("tracegate_ratelimit_limited_requests_total",
         "Requests refused with RESOURCE_EXHAUSTED by a rate limit, by API key name", "key", keys,
         &Counters::limited_requests);
  family("tracegate_ratelimit_limited_events_total",
         "Events in requests refused by a rate limit, by API key name", "key", keys,
         &Counters::limited_events);
  family("tracegate_ratelimit_workspace_limited_requests_total",
         "Requests refused by a workspace rate limit, by workspace (\"_other\": workspaces "
         "without a limit of their own)",
         "workspace", workspaces, &Counters::limited_requests);
  return out;
}

}  // namespace tracegate::ratelimit
