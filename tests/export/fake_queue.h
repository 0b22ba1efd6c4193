// An in-memory core::Queue for export tests that records Ack/Release/dead-letter calls and
// lets a test wait until the exporter has settled a number of entries.
// Read() waits (real time, at most 20 ms per call) for entries; thread-safe.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gateway/core/queue.h"

namespace tracegate::exporter::testing {

class FakeQueue : public core::Queue {
 public:
  absl::Status Append(absl::string_view route, v1::IngestRequest batch) override {
    absl::MutexLock lock(&mu_);
    core::QueueEntry entry;
    entry.id = absl::StrCat("entry-", ++next_id_);
    entry.batch = std::move(batch);
    ready_.push_back(std::move(entry));
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<core::QueueEntry>> Read(absl::string_view route, size_t max_entries,
                                                     absl::Duration wait) override {
    absl::MutexLock lock(&mu_);
    read_limits_.push_back(max_entries);
    auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !ready_.empty() || closed_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), std::min(wait, absl::Milliseconds(20)));
    if (closed_) return absl::CancelledError("queue closed");
    std::vector<core::QueueEntry> out;
    while (!ready_.empty() && out.size() < max_entries) {
      core::QueueEntry entry = std::move(ready_.front());
      ready_.pop_front();
      pending_[entry.id] = entry;
      out.push_back(std::move(entry));
    }
    return out;
  }

  absl::Status Ack(absl::string_view route, absl::Span<const std::string> ids) override {
    absl::MutexLock lock(&mu_);
    for (const std::string& id : ids) {
      pending_.erase(id);
      acked_.push_back(id);
    }
    return absl::OkStatus();
  }

  absl::Status Release(absl::string_view route, absl::Span<const std::string> ids) override {
    absl::MutexLock lock(&mu_);
    for (const std::string& id : ids) {
      auto it = pending_.find(id);
      if (it == pending_.end()) continue;
      released_.push_back(id);
      if (requeue_released_) {
        ready_.push_front(std::move(it->second));  // like a real queue
      } else {
        // Parked rather than re-queued, so a test's exporter does not read it again.
        released_entries_.push_back(std::move(it->second));
      }
      pending_.erase(it);
    }
    return absl::OkStatus();
  }

  absl::Status AddDeadLetter(const core::DeadLetter& letter) override {
    absl::MutexLock lock(&mu_);
    if (fail_dead_letters_) return absl::UnavailableError("dead-letter store down");
    dead_letters_.push_back(letter);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<core::DeadLetter>> ListDeadLetters(absl::string_view route,
                                                                size_t max) override {
    absl::MutexLock lock(&mu_);
    return dead_letters_;
  }

  core::QueueStats Stats(absl::string_view route) override {
    absl::MutexLock lock(&mu_);
    core::QueueStats stats;
    stats.entries = static_cast<int64_t>(ready_.size() + pending_.size());
    stats.pending_entries = static_cast<int64_t>(pending_.size());
    stats.dead_letters = static_cast<int64_t>(dead_letters_.size());
    return stats;
  }

  void Close() override {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

  // Test controls and observations.
  void RequeueReleased(bool requeue) {
    absl::MutexLock lock(&mu_);
    requeue_released_ = requeue;
  }
  void FailDeadLetters(bool fail) {
    absl::MutexLock lock(&mu_);
    fail_dead_letters_ = fail;
  }
  // Waits until `n` entries were acked or released; false after `timeout` (a safety net).
  bool WaitSettled(size_t n, absl::Duration timeout = absl::Seconds(20)) {
    absl::MutexLock lock(&mu_);
    auto settled = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return acked_.size() + released_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&settled), timeout);
  }
  std::vector<std::string> acked() const {
    absl::MutexLock lock(&mu_);
    return acked_;
  }
  std::vector<std::string> released() const {
    absl::MutexLock lock(&mu_);
    return released_;
  }
  std::vector<core::DeadLetter> dead_letters() const {
    absl::MutexLock lock(&mu_);
    return dead_letters_;
  }
  // The max_entries of each Read() call.
  std::vector<size_t> read_limits() const {
    absl::MutexLock lock(&mu_);
    return read_limits_;
  }
  size_t pending() const {
    absl::MutexLock lock(&mu_);
    return pending_.size();
  }

 private:
  mutable absl::Mutex mu_;
  int next_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool fail_dead_letters_ ABSL_GUARDED_BY(mu_) = false;
  bool requeue_released_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<core::QueueEntry> ready_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, core::QueueEntry> pending_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> acked_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> released_ ABSL_GUARDED_BY(mu_);
  std::vector<core::QueueEntry> released_entries_ ABSL_GUARDED_BY(mu_);
  std::vector<core::DeadLetter> dead_letters_ ABSL_GUARDED_BY(mu_);
  std::vector<size_t> read_limits_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tracegate::exporter::testing
