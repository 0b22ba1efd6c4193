#include "gateway/queue/memory_queue.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tracegate::queue {
namespace {

bool ParseSeq(const std::string& id, uint64_t* seq) { return absl::SimpleAtoi(id, seq); }

}  // namespace

MemoryQueue::MemoryQueue(const MemoryQueueOptions& options) : options_(options) {}

MemoryQueue::Route& MemoryQueue::RouteLocked(absl::string_view name) {
  auto& slot = routes_[name];
  if (slot == nullptr) slot = std::make_unique<Route>();
  return *slot;
}

absl::Status MemoryQueue::Append(absl::string_view route, tracegate::v1::IngestRequest batch) {
  const int64_t n = batch.events_size();
  absl::MutexLock lock(&mu_);
  if (closed_) return absl::UnavailableError("queue is closed (shutting down)");
  Route& r = RouteLocked(route);
  if (r.events + n > options_.max_events_per_route) {
    return absl::ResourceExhaustedError(absl::StrCat("route \"", route, "\" queue is full (",
                                                     r.events, " events queued)"));
  }
  AppendLocked(r, std::move(batch));
  return absl::OkStatus();
}

void MemoryQueue::AppendLocked(Route& r, tracegate::v1::IngestRequest batch) {
  core::QueueEntry entry;
  entry.id = absl::StrCat(next_seq_++);
  r.events += batch.events_size();
  entry.batch = std::move(batch);
  entry.delivery_count = 0;
  entry.enqueued_at = options_.clock->Now();
  r.ready.push_back(std::move(entry));
  ready_cv_.SignalAll();
}

absl::StatusOr<std::vector<core::QueueEntry>> MemoryQueue::Read(absl::string_view route,
                                                                size_t max_entries,
                                                                absl::Duration wait) {
  std::vector<core::QueueEntry> out;
  std::vector<uint64_t> seqs;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time deadline = absl::Now() + wait;  // condvar waits use the real clock
    Route* r = &RouteLocked(route);
    while (!closed_ && r->ready.empty()) {
      if (ready_cv_.WaitWithDeadline(&mu_, deadline)) break;
      r = &RouteLocked(route);
    }
    if (closed_ && r->ready.empty()) return absl::CancelledError("queue is closed");
    while (!r->ready.empty() && out.size() < max_entries) {
      core::QueueEntry& front = r->ready.front();
      ++front.delivery_count;
      uint64_t seq = 0;
      ParseSeq(front.id, &seq);
      Pending& p = r->pending[seq];
      p.id = front.id;
      p.events = front.batch.events_size();
      p.delivery_count = front.delivery_count;
      p.enqueued_at = front.enqueued_at;
      seqs.push_back(seq);
      out.push_back(std::move(front));
      r->ready.pop_front();
    }
  }
  // The pending copy, made outside the lock: ids are unknown to anyone until Read returns,
  // so no Ack or Release can reach these entries before the bytes are filled in.
  std::vector<std::string> bytes(out.size());
  for (size_t i = 0; i < out.size(); ++i) out[i].batch.SerializeToString(&bytes[i]);
  absl::MutexLock lock(&mu_);
  Route& r = RouteLocked(route);
  for (size_t i = 0; i < out.size(); ++i) {
    auto it = r.pending.find(seqs[i]);
    if (it != r.pending.end()) it->second.bytes = std::move(bytes[i]);
  }
  return out;
}

absl::Status MemoryQueue::Ack(absl::string_view route, absl::Span<const std::string> entry_ids) {
  absl::MutexLock lock(&mu_);
  Route& r = RouteLocked(route);
  for (const std::string& id : entry_ids) {
    uint64_t seq = 0;
    if (!ParseSeq(id, &seq)) return absl::InvalidArgumentError(absl::StrCat("bad entry id ", id));
    auto it = r.pending.find(seq);
    if (it == r.pending.end()) continue;  // acking twice is harmless
    r.events -= it->second.events;
    r.pending.erase(it);
  }
  return absl::OkStatus();
}

absl::Status MemoryQueue::Release(absl::string_view route,
                                  absl::Span<const std::string> entry_ids) {
  absl::MutexLock lock(&mu_);
  Route& r = RouteLocked(route);
  // Put released entries back at the front, oldest first, so order is kept.
  std::vector<core::QueueEntry> back;
  std::string unreadable;
  for (const std::string& id : entry_ids) {
    uint64_t seq = 0;
    if (!ParseSeq(id, &seq)) continue;
    auto it = r.pending.find(seq);
    if (it == r.pending.end()) continue;
    core::QueueEntry entry;
    if (!entry.batch.ParseFromString(it->second.bytes)) {  // cannot happen: our own bytes
      unreadable = id;
      continue;  // stays pending rather than being lost
    }
    entry.id = std::move(it->second.id);
    entry.delivery_count = it->second.delivery_count;
    entry.enqueued_at = it->second.enqueued_at;
    back.push_back(std::move(entry));
    r.pending.erase(it);
  }
  std::sort(back.begin(), back.end(), [](const core::QueueEntry& a, const core::QueueEntry& b) {
    uint64_t x = 0, y = 0;
    ParseSeq(a.id, &x);
    ParseSeq(b.id, &y);
    return x > y;
  });
  for (auto& e : back) r.ready.push_front(std::move(e));
  if (!back.empty()) ready_cv_.SignalAll();
  if (!unreadable.empty()) {
    return absl::InternalError(absl::StrCat("entry ", unreadable, ": pending copy unreadable"));
  }
  return absl::OkStatus();
}

absl::Status MemoryQueue::AddDeadLetter(const core::DeadLetter& letter) {
  absl::MutexLock lock(&mu_);
  Route& r = RouteLocked(letter.route);
  r.dead.push_back(letter);
  ++r.dead_total;
  while (r.dead.size() > options_.max_dead_letters_per_route) r.dead.pop_front();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<core::DeadLetter>> MemoryQueue::ListDeadLetters(
    absl::string_view route, size_t max) {
  absl::MutexLock lock(&mu_);
  Route& r = RouteLocked(route);
  std::vector<core::DeadLetter> out;
  for (auto it = r.dead.rbegin(); it != r.dead.rend() && out.size() < max; ++it) {
    out.push_back(*it);
  }
  return out;
}

absl::StatusOr<int64_t> MemoryQueue::ReplayDeadLetters(absl::string_view route, size_t max) {
  absl::MutexLock lock(&mu_);
  if (closed_) return absl::UnavailableError("queue is closed (shutting down)");
  Route& r = RouteLocked(route);
  const int64_t n = static_cast<int64_t>(std::min(max, r.dead.size()));
  if (n == 0) return 0;
  if (r.events + n > options_.max_events_per_route) {
    return absl::ResourceExhaustedError(absl::StrCat("route \"", route, "\" queue is full (",
                                                     r.events, " events queued)"));
  }
  tracegate::v1::IngestRequest batch;
  for (int64_t i = 0; i < n; ++i) {  // oldest first
    *batch.add_events() = std::move(r.dead.front().event);
    r.dead.pop_front();
  }
  AppendLocked(r, std::move(batch));
  return n;
}

core::QueueStats MemoryQueue::Stats(absl::string_view route) {
  absl::MutexLock lock(&mu_);
  Route& r = RouteLocked(route);
  core::QueueStats s;
  s.events = r.events;
  s.entries = static_cast<int64_t>(r.ready.size() + r.pending.size());
  s.pending_entries = static_cast<int64_t>(r.pending.size());
  s.dead_letters = r.dead_total;
  absl::Time oldest = absl::InfiniteFuture();
  if (!r.pending.empty()) oldest = r.pending.begin()->second.enqueued_at;
  if (!r.ready.empty()) oldest = std::min(oldest, r.ready.front().enqueued_at);
  s.oldest_age = oldest == absl::InfiniteFuture() ? absl::ZeroDuration()
                                                   : options_.clock->Now() - oldest;
  return s;
}

void MemoryQueue::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  ready_cv_.SignalAll();
}

}  // namespace tracegate::queue
