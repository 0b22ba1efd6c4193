// What to do with the result of one export request, and how long to wait before the next.
//
// Classify() turns a transport result into an ExportOutcome, decided once here:
//   kDelivered  2xx (a 207's per-event results are judged by ingestion_response.h)
//   kRetryable  408, 429, any 5xx, and every transport error (UNAVAILABLE, DEADLINE_EXCEEDED…);
//               also 401, 403 and 404: a misconfigured route (wrong keys, suspended
//               ingestion, wrong base URL) holds its events instead of discarding them
//   kSplit      413: the batch is too large; send it in halves (a single event → permanent)
//   kPermanent  any other status (400, 405, 422, 3xx, …): retrying cannot help
//
// RetryPolicy computes the wait before retry number `retry` (0 for the first retry):
// exponential backoff with full jitter, uniform in [initial_backoff, min(max_backoff,
// initial_backoff * 2^(retry+1))], drawn from an injected random source; a server's
// Retry-After (delta seconds or HTTP-date) lengthens the wait, and the result is capped by
// max_wait. Thread-safety: RetryPolicy is immutable and thread-safe if `random` is.
#pragma once

#include <functional>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/export/http_transport.h"

namespace tracegate::exporter {

enum class ExportOutcome { kDelivered, kRetryable, kSplit, kPermanent };

const char* ExportOutcomeName(ExportOutcome outcome);

ExportOutcome ClassifyStatus(int http_status);
ExportOutcome Classify(const absl::StatusOr<HttpResponse>& result);

// Parses a Retry-After value: delta seconds ("120") or an HTTP-date
// ("Wed, 21 Oct 2015 07:28:00 GMT", also RFC 850 and asctime forms), relative to `now`.
// A date in the past gives zero. Returns nullopt for anything else (negative, garbage).
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now);

struct RetryPolicyOptions {
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(30);
  // Upper bound of any wait, including one a server asks for with Retry-After.
  absl::Duration max_wait = absl::Minutes(10);
  // Returns a uniform value in [0, 1). Default: a thread-local Mersenne Twister.
  std::function<double()> random;
};

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryPolicyOptions options);

  // Backoff alone (no Retry-After) before retry number `retry` (0-based).
  absl::Duration Backoff(int retry) const;

  // The wait before retry `retry` after `result`: max(Backoff, Retry-After) capped at max_wait.
  absl::Duration NextWait(int retry, const absl::StatusOr<HttpResponse>& result,
                          absl::Time now) const;

 private:
  RetryPolicyOptions options_;
};

}  // namespace tracegate::exporter
