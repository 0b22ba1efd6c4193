// The embedded deduper: remembers (workspace, event_id) in this process's memory.
//
// Used when no Redis is configured (single replica; forgotten on restart, which start-up
// logs say). Each workspace keeps at most `max_entries` ids for `window`; past the cap the
// oldest ids are forgotten first, so memory stays bounded. Thread-safe (one mutex per
// workspace shard); MarkNew() costs one hash lookup and insert per id. Never UNAVAILABLE.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "gateway/core/clock.h"
#include "gateway/core/deduper.h"

namespace tracegate::dedupe {

struct MemoryDeduperOptions {
  absl::Duration window = absl::Hours(24);
  size_t max_entries_per_workspace = 1'000'000;
  const core::Clock* clock = &core::Clock::Real();
};

class MemoryDeduper final : public core::Deduper {
 public:
  explicit MemoryDeduper(const MemoryDeduperOptions& options);

  absl::StatusOr<std::vector<bool>> MarkNew(absl::string_view workspace,
                                            absl::Span<const absl::string_view> ids) override;
  void Forget(absl::string_view workspace, absl::Span<const absl::string_view> ids) override;

  // Ids currently remembered for `workspace` (tests, metrics).
  size_t Size(absl::string_view workspace) const;

 private:
  struct Seen {
    absl::Time expires;
    uint64_t seq;  // matches the FIFO slot that owns this key
  };
  struct Workspace {
    absl::flat_hash_map<std::string, Seen> seen;
    std::deque<std::pair<std::string, uint64_t>> fifo;  // insertion order, for expiry
    uint64_t next_seq = 0;
  };
  void EvictLocked(Workspace& ws, absl::Time now);

  const MemoryDeduperOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Workspace>> workspaces_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tracegate::dedupe
