#include "gateway/dedupe/memory_deduper.h"

namespace tracegate::dedupe {

MemoryDeduper::MemoryDeduper(const MemoryDeduperOptions& options) : options_(options) {}

void MemoryDeduper::EvictLocked(Workspace& ws, absl::Time now) {
  while (!ws.fifo.empty()) {
    auto& [key, seq] = ws.fifo.front();
    auto it = ws.seen.find(key);
    const bool stale_slot = it == ws.seen.end() || it->second.seq != seq;
    if (!stale_slot && it->second.expires > now &&
        ws.seen.size() <= options_.max_entries_per_workspace) {
      break;
    }
    if (!stale_slot) ws.seen.erase(it);
    ws.fifo.pop_front();
  }
}

absl::StatusOr<std::vector<bool>> MemoryDeduper::MarkNew(
    absl::string_view workspace, absl::Span<const absl::string_view> ids) {
  const absl::Time now = options_.clock->Now();
  const absl::Time expires = now + options_.window;
  std::vector<bool> fresh(ids.size(), false);
  absl::MutexLock lock(&mu_);
  auto& slot = workspaces_[workspace];
  if (slot == nullptr) slot = std::make_unique<Workspace>();
  Workspace& ws = *slot;
  for (size_t i = 0; i < ids.size(); ++i) {
    auto [it, inserted] = ws.seen.try_emplace(ids[i], Seen{expires, ws.next_seq});
    if (!inserted) {
      if (it->second.expires > now) continue;  // duplicate inside the window
      it->second = Seen{expires, ws.next_seq};  // expired: counts as new again
    }
    ws.fifo.emplace_back(std::string(ids[i]), ws.next_seq++);
    fresh[i] = true;
  }
  EvictLocked(ws, now);
  return fresh;
}

void MemoryDeduper::Forget(absl::string_view workspace, absl::Span<const absl::string_view> ids) {
  absl::MutexLock lock(&mu_);
  auto it = workspaces_.find(workspace);
  if (it == workspaces_.end()) return;
  for (absl::string_view id : ids) it->second->seen.erase(id);
  // FIFO slots of forgotten ids are skipped lazily by EvictLocked (seq no longer matches).
}

size_t MemoryDeduper::Size(absl::string_view workspace) const {
  absl::MutexLock lock(&mu_);
  auto it = workspaces_.find(workspace);
  return it == workspaces_.end() ? 0 : it->second->seen.size();
}

}  // namespace tracegate::dedupe
