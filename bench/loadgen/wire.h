// Minimal protobuf wire readers for the answers the load generator gets back, so that it
// does not spend its CPU parsing per-event results it only needs to count.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace tracegate::bench {

struct IngestAnswer {
  bool has_batch_id = false;
  uint64_t batch_id = 0;
  int64_t accepted = 0;
  int64_t duplicate = 0;
  int64_t rejected = 0;
};

// Reads IngestResponse fields batch_id (2), accepted (3), duplicate (4), rejected (5),
// skipping the per-event results (1). False on malformed bytes.
bool ReadIngestAnswer(absl::string_view bytes, IngestAnswer* answer);

// "code N: reason" of the first REJECTED result (full parse; only for a few samples).
std::string FirstRejectedReason(absl::string_view bytes);

// Reads ExportTraceServiceResponse.partial_success.rejected_spans (0 when absent).
bool ReadOtlpRejectedSpans(absl::string_view bytes, int64_t* rejected);

}  // namespace tracegate::bench
