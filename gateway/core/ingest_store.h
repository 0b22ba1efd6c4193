// The receive side's one call into the stores: dedupe a request batch and queue its new
// events, as one step.
//
// Contract
// - DedupeAndAppend() gets the events of one workspace bound for one route (moved in).
//   fresh[i] says whether events[i]'s event_id was not seen inside the dedupe window (an id
//   repeated in the batch is fresh the first time only). `append` is OK when the fresh events
//   are queued as one entry and their ids recorded; otherwise (RESOURCE_EXHAUSTED: the route
//   is full; UNAVAILABLE: the store failed) nothing was recorded, so the client's retry is
//   not taken for a duplicate. With no fresh event nothing is appended and `append` is OK.
// - A returned error (UNAVAILABLE) means the call did not complete: normally nothing was
//   recorded. A store that timed out after committing has queued the batch; the client's
//   retry then gets DUPLICATE, so a timeout never loses events.
// - Implementations: SplitIngestStore (a Deduper plus a Queue, used for the embedded stores;
//   mark, append, forget on failure) and queue::RedisIngestStore (one atomic Lua call).
// - Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/core/deduper.h"
#include "gateway/core/queue.h"
#include "tracegate/v1/ingest_service.pb.h"

namespace tracegate::core {

struct IngestResult {
  std::vector<bool> fresh;  // one per event of the batch
  absl::Status append;      // for the fresh events (see the contract)
};

class IngestStore {
 public:
  virtual ~IngestStore() = default;
  virtual absl::StatusOr<IngestResult> DedupeAndAppend(absl::string_view workspace,
                                                       absl::string_view route,
                                                       tracegate::v1::IngestRequest batch) = 0;
};

// A Deduper and a Queue used one after the other: MarkNew, Append the fresh events, Forget
// them again when the append failed. Borrows both.
class SplitIngestStore final : public IngestStore {
 public:
  SplitIngestStore(Deduper* deduper, Queue* queue) : deduper_(deduper), queue_(queue) {}

  absl::StatusOr<IngestResult> DedupeAndAppend(absl::string_view workspace, absl::string_view route,
                                               tracegate::v1::IngestRequest batch) override {
    std::vector<absl::string_view> ids;
    ids.reserve(batch.events_size());
    for (const auto& e : batch.events()) ids.push_back(e.event_id());
    absl::StatusOr<std::vector<bool>> fresh = deduper_->MarkNew(workspace, ids);
    if (!fresh.ok()) return fresh.status();
    IngestResult result;
    result.fresh = *std::move(fresh);
    tracegate::v1::IngestRequest out;
    std::vector<std::string> marked;
    for (int i = 0; i < batch.events_size(); ++i) {
      if (!result.fresh[i]) continue;
      marked.push_back(batch.events(i).event_id());
      out.add_events()->Swap(batch.mutable_events(i));
    }
    if (marked.empty()) return result;
    result.append = queue_->Append(route, std::move(out));
    if (!result.append.ok()) {
      std::vector<absl::string_view> unmark(marked.begin(), marked.end());
      deduper_->Forget(workspace, unmark);
    }
    return result;
  }

 private:
  Deduper* deduper_;
  Queue* queue_;
};

}  // namespace tracegate::core
