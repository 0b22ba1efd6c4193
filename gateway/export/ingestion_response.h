// Reads what Langfuse answered to an export request. The body is untrusted input: any bytes
// give a result or a Status, never a crash or an exception.
//
// ParseIngestionResponse() reads the 207 body of POST /api/public/ingestion:
//   {"successes":[{"id","status"}], "errors":[{"id","status","message","error"}]}
// - INVALID_ARGUMENT when the body is not JSON, is nested deeper than 64 levels, is not an
//   object, or has `successes`/`errors` that are not arrays. A missing list is empty.
// - Entries that are not objects or lack a string `id` are skipped (their events count as
//   unanswered). An error entry with no integer `status` is taken as 500 (unknown, retry);
//   a success entry with none as 201.
// Per-event verdict (PerEventOutcome): an error with status >= 500 is retryable, below 500
// permanent.
//
// ServerMessage() extracts a short human message from any error body (JSON `message` and/or
// `error`, else the raw text), for dead-letter reasons and logs.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/export/retry_policy.h"

namespace tracegate::exporter {

struct IngestionEventResult {
  std::string id;       // the envelope id we sent
  int status = 0;       // per-event HTTP-like status
  std::string message;  // errors only: "message" and "error" joined, truncated
};

struct IngestionResponse {
  std::vector<IngestionEventResult> successes;
  std::vector<IngestionEventResult> errors;
};

absl::StatusOr<IngestionResponse> ParseIngestionResponse(absl::string_view body);

// kRetryable for status >= 500 (and out-of-range values), kPermanent otherwise.
ExportOutcome PerEventOutcome(const IngestionEventResult& error);

// At most `max_chars` characters (plus "…" when cut) describing a non-2xx response body.
std::string ServerMessage(absl::string_view body, size_t max_chars = 500);

}  // namespace tracegate::exporter
