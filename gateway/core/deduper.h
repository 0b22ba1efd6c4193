// Drops events a client sent before: remembers (workspace, event_id) for a window.
//
// Contract
// - MarkNew() looks up and records a batch of ids of one workspace atomically: result[i]
//   is true when ids[i] was not seen inside the window (it is now recorded) and false when
//   it is a duplicate. An id repeated inside one call is new the first time only.
// - Forget() removes ids again; the receive side calls it when events it marked could not
//   be queued, so the client's retry is not mistaken for a duplicate.
// - UNAVAILABLE when the store cannot be reached (nothing recorded).
// - Thread-safe. Work is per call (per request batch), never per event round trips.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace tracegate::core {

class Deduper {
 public:
  virtual ~Deduper() = default;
  virtual absl::StatusOr<std::vector<bool>> MarkNew(absl::string_view workspace,
                                                    absl::Span<const absl::string_view> ids) = 0;
  virtual void Forget(absl::string_view workspace, absl::Span<const absl::string_view> ids) = 0;
};

}  // namespace tracegate::core
