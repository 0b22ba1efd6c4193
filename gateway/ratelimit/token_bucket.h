// A lock-free token bucket in the GCRA form: the whole state is one atomic "theoretical
// arrival time" (TAT), so taking tokens is one compare-and-swap, never a lock.
//
//   TokenBucket bucket(/*rate=*/100, /*capacity=*/100);   // 100/s, bursts of 100
//   absl::Duration wait = bucket.TryTake(/*cost=*/30, now);
//   if (wait > absl::ZeroDuration()) { /* refused: retry after `wait` */ }
//
// Semantics: a take of `cost` succeeds when at least min(cost, capacity) tokens are there;
// it then removes `cost` tokens, which may leave the bucket in debt. So a request larger
// than the bucket still passes when the bucket is full, and the long-run rate holds (its
// debt delays the next ones). A refused take changes nothing and returns how long until it
// would succeed. Refund() gives tokens back (for a request refused by another bucket).
// A cost of 0 always succeeds. Tokens refill continuously at `rate` per second up to
// `capacity`. Times are absl::Time from the caller's clock (tests use a fake clock).
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

namespace tracegate::ratelimit {

class TokenBucket {
 public:
  // `rate` > 0 tokens per second; `capacity` > 0 tokens.
  TokenBucket(double rate, double capacity);
  TokenBucket(const TokenBucket&) = delete;
  TokenBucket& operator=(const TokenBucket&) = delete;

  // Zero when taken, else the wait until a take of `cost` would succeed.
  absl::Duration TryTake(double cost, absl::Time now);
  void Refund(double cost);
  // Tokens available at `now` (negative while in debt). For tests and metrics.
  double Available(absl::Time now) const;

  double rate() const { return rate_; }
  double capacity() const { return capacity_; }
  // Copies the fill state of `other` (used when a reload keeps the same limit).
  void CopyStateFrom(const TokenBucket& other);

 private:
  int64_t CostNanos(double cost) const;

  const double rate_;
  const double capacity_;
  const double nanos_per_token_;
  const int64_t burst_nanos_;
  // Unix nanoseconds at which the bucket is full again; <= now means full.
  std::atomic<int64_t> tat_{0};
};

}  // namespace tracegate::ratelimit
