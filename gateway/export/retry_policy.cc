#include "gateway/export/retry_policy.h"

#include <algorithm>
#include <random>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace tracegate::exporter {
namespace {

double DefaultRandom() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

bool AllDigits(absl::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isdigit(c); });
}

}  // namespace

const char* ExportOutcomeName(ExportOutcome outcome) {
  switch (outcome) {
    case ExportOutcome::kDelivered:
      return "delivered";
    case ExportOutcome::kRetryable:
      return "retryable";
    case ExportOutcome::kSplit:
      return "split";
    case ExportOutcome::kPermanent:
      return "permanent";
  }
  return "unknown";
}

ExportOutcome ClassifyStatus(int http_status) {
  if (http_status >= 200 && http_status < 300) return ExportOutcome::kDelivered;
  if (http_status == 408 || http_status == 429) return ExportOutcome::kRetryable;
  // The route is misconfigured (bad keys, suspended ingestion, wrong base URL): the events
  // are not at fault, so they wait in the queue (logged and counted) until it is fixed.
  if (http_status == 401 || http_status == 403 || http_status == 404) {
    return ExportOutcome::kRetryable;
  }
  if (http_status == 413) return ExportOutcome::kSplit;
  if (http_status >= 500 && http_status < 600) return ExportOutcome::kRetryable;
  return ExportOutcome::kPermanent;
}

ExportOutcome Classify(const absl::StatusOr<HttpResponse>& result) {
  if (!result.ok()) return ExportOutcome::kRetryable;
  return ClassifyStatus(result->status);
}

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty() || value.size() > 64) return std::nullopt;
  if (AllDigits(value)) {
    int64_t seconds = 0;
    if (!absl::SimpleAtoi(value, &seconds)) return absl::Hours(24 * 365);  // overflow: huge
    return absl::Seconds(seconds);
  }
  static constexpr const char* kDateFormats[] = {
      "%a, %d %b %Y %H:%M:%S GMT",  // IMF-fixdate (RFC 9110)
      "%A, %d-%b-%y %H:%M:%S GMT",  // obsolete RFC 850
      "%a %b %e %H:%M:%S %Y",       // obsolete asctime()
  };
  std::string text(value);
  for (const char* format : kDateFormats) {
    absl::Time when;
    std::string error;
    if (absl::ParseTime(format, text, absl::UTCTimeZone(), &when, &error)) {
      return std::max(absl::ZeroDuration(), when - now);
    }
  }
  return std::nullopt;
}

RetryPolicy::RetryPolicy(RetryPolicyOptions options) : options_(std::move(options)) {
  if (!options_.random) options_.random = &DefaultRandom;
  if (options_.initial_backoff < absl::ZeroDuration())
    options_.initial_backoff = absl::ZeroDuration();
  if (options_.max_backoff < options_.initial_backoff)
    options_.max_backoff = options_.initial_backoff;
}

absl::Duration RetryPolicy::Backoff(int retry) const {
  absl::Duration low = options_.initial_backoff;
  absl::Duration high = options_.max_backoff;
  if (retry < 0) retry = 0;
  // initial * 2^(retry+1), stopping as soon as it passes the cap (no overflow).
  absl::Duration cap = low;
  for (int i = 0; i <= retry && cap < high; ++i) cap *= 2;
  if (cap > high || cap == absl::ZeroDuration()) cap = std::max(high, low);
  double r = options_.random();
  if (!(r >= 0.0)) r = 0.0;  // also catches NaN
  if (r >= 1.0) r = 1.0;
  return low + (cap - low) * r;
}

absl::Duration RetryPolicy::NextWait(int retry, const absl::StatusOr<HttpResponse>& result,
                                     absl::Time now) const {
  absl::Duration wait = Backoff(retry);
  if (result.ok()) {
    if (const std::string* header = result->Header("Retry-After")) {
      std::optional<absl::Duration> server = ParseRetryAfter(*header, now);
      if (server.has_value()) wait = std::max(wait, *server);
    }
  }
  return std::min(wait, options_.max_wait);
}

}  // namespace tracegate::exporter
