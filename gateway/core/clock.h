// Time source for everything that schedules or stamps: production uses RealClock, tests a
// FakeClock they advance by hand. Implementations are thread-safe.
#pragma once

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tracegate::core {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // Blocks the calling (worker) thread for `d`. Never called from a gRPC reactor.
  virtual void SleepFor(absl::Duration d) const = 0;
  // The process-wide real clock.
  static const Clock& Real();
};

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  void SleepFor(absl::Duration d) const override { absl::SleepFor(d); }
};

inline const Clock& Clock::Real() {
  static const RealClock kClock;
  return kClock;
}

// A clock that only moves when told to. SleepFor advances it immediately, so code under
// test that backs off runs instantly while the test can still read how long it "slept".
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1767225600)) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void SleepFor(absl::Duration d) const override {
    absl::MutexLock lock(&mu_);
    now_ += d;
    slept_ += d;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  absl::Duration TotalSlept() const {
    absl::MutexLock lock(&mu_);
    return slept_;
  }

 private:
  mutable absl::Mutex mu_;
  mutable absl::Time now_;
  mutable absl::Duration slept_ = absl::ZeroDuration();
};

}  // namespace tracegate::core
