#include "gateway/ratelimit/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace tracegate::ratelimit {
namespace {

// Debt is capped at ~100 days so that no cost can overflow the nanosecond arithmetic.
constexpr double kMaxCostNanos = 1e16;

}  // namespace

TokenBucket::TokenBucket(double rate, double capacity)
    : rate_(rate),
      capacity_(capacity),
      nanos_per_token_(1e9 / rate),
      burst_nanos_(CostNanos(capacity)) {}

int64_t TokenBucket::CostNanos(double cost) const {
  return static_cast<int64_t>(std::min(kMaxCostNanos, std::ceil(cost * nanos_per_token_)));
}

absl::Duration TokenBucket::TryTake(double cost, absl::Time now_time) {
  if (!(cost > 0)) return absl::ZeroDuration();
  const int64_t now = absl::ToUnixNanos(now_time);
  const int64_t add = CostNanos(cost);
  // The take succeeds while the debt ("backlog", TAT - now) leaves room for min(cost, cap).
  const int64_t allowed_backlog = burst_nanos_ - CostNanos(std::min(cost, capacity_));
  int64_t old = tat_.load(std::memory_order_relaxed);
  while (true) {
    const int64_t base = std::max(old, now);
    const int64_t backlog = base - now;
    if (backlog > allowed_backlog) return absl::Nanoseconds(backlog - allowed_backlog);
    if (tat_.compare_exchange_weak(old, base + add, std::memory_order_relaxed)) {
      return absl::ZeroDuration();
    }
  }
}

void TokenBucket::Refund(double cost) {
  if (!(cost > 0)) return;
  tat_.fetch_sub(CostNanos(cost), std::memory_order_relaxed);
}

double TokenBucket::Available(absl::Time now_time) const {
  const int64_t now = absl::ToUnixNanos(now_time);
  const int64_t backlog = std::max<int64_t>(0, tat_.load(std::memory_order_relaxed) - now);
  return static_cast<double>(burst_nanos_ - backlog) / nanos_per_token_;
}

void TokenBucket::CopyStateFrom(const TokenBucket& other) {
  tat_.store(other.tat_.load(std::memory_order_relaxed), std::memory_order_relaxed);
}

}  // namespace tracegate::ratelimit
