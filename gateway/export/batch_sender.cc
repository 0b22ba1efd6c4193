// BatchSender: the parts shared by the OTLP and legacy paths (posting, retry waits, the
// fate of each event). The paths themselves are in otlp_sender.cc and legacy_sender.cc.
#include "gateway/export/batch_sender.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/export/ingestion_response.h"
#include "gateway/observability/log.h"
#include "gateway/translate/legacy_translator.h"

namespace tracegate::exporter {

std::string DescribeResult(const absl::StatusOr<HttpResponse>& result) {
  if (!result.ok()) return result.status().ToString();
  return absl::StrCat("HTTP ", result->status, ": ", ServerMessage(result->body));
}

BatchSender::BatchSender(BatchSenderOptions options) : options_(std::move(options)) {}

void BatchSender::Send(core::Egress egress, std::vector<BatchEvent>& events) {
  abandoned_ = false;
  delivered_ = 0;
  std::vector<BatchEvent*> spans;
  std::vector<BatchEvent*> ingestion;
  for (BatchEvent& e : events) {
    if (e.state != BatchEvent::State::kPending) continue;
    e.parts_left = 0;
    e.failure.clear();
    e.failure_class.clear();
    if (egress == core::Egress::kOtlp && !translate::IsScore(*e.event)) {
      spans.push_back(&e);
    } else {
      ingestion.push_back(&e);
    }
  }
  // Traces and observations first, so the scores that follow find what they score.
  if (!spans.empty()) SendOtlp(spans);
  if (!ingestion.empty() && !abandoned_) {
    SendLegacy(ingestion, /*otlp_ids=*/egress == core::Egress::kOtlp);
  }
  FlushDelivered();
}

absl::StatusOr<HttpResponse> BatchSender::Post(const char* endpoint, HttpRequest request) {
  absl::Duration left = options_.time_left();
  if (left <= absl::ZeroDuration()) {
    abandoned_ = true;
    return absl::CancelledError("export stopped: shutdown deadline reached");
  }
  request.timeout = std::min(options_.target->timeout, left);
  request.abort = [this] { return options_.time_left() <= absl::ZeroDuration(); };
  absl::Time start = options_.clock->Now();
  absl::StatusOr<HttpResponse> result = options_.transport->Post(request);
  if (!result.ok() && result.status().code() == absl::StatusCode::kCancelled) {
    abandoned_ = true;  // cut short by the shutdown deadline
  }
  options_.telemetry->OnExportRequest(options_.target->name, endpoint,
                                      result.ok() ? result->status : 0,
                                      options_.clock->Now() - start);
  return result;
}

BatchSender::RetryVerdict BatchSender::BeforeRetry(const char* endpoint, int attempts,
                                                   const absl::StatusOr<HttpResponse>& last) {
  if (options_.max_attempts > 0 && attempts >= options_.max_attempts) {
    return RetryVerdict::kGiveUp;
  }
  absl::Duration wait = options_.policy->NextWait(attempts - 1, last, options_.clock->Now());
  options_.telemetry->OnExportRetry(options_.target->name, endpoint);
  if (attempts == 1 || attempts % 10 == 0) {
    std::string attempt = absl::StrCat(attempts);
    std::string delay = absl::FormatDuration(wait);
    std::string why = log::RedactSecrets(DescribeResult(last));
    log::Warn("export failed, will retry", {{"route", options_.target->name},
                                            {"endpoint", endpoint},
                                            {"attempt", attempt},
                                            {"wait", delay},
                                            {"error", why}});
  }
  if (!options_.wait(wait)) {
    abandoned_ = true;
    return RetryVerdict::kAbandon;
  }
  return RetryVerdict::kRetry;
}

void BatchSender::PartDelivered(BatchEvent* event) {
  if (--event->parts_left > 0) return;
  if (event->failure.empty()) {
    event->state = BatchEvent::State::kDelivered;
    ++delivered_;
  } else {
    DeadLetter(event);
  }
}

void BatchSender::PartFailed(BatchEvent* event, const std::string& reason,
                             const char* reason_class) {
  if (event->failure.empty()) {
    event->failure = reason;
    event->failure_class = reason_class;
  }
  if (--event->parts_left > 0) return;
  DeadLetter(event);
}

void BatchSender::FlushDelivered() {
  if (delivered_ == 0) return;
  options_.telemetry->OnEventsDelivered(options_.target->name, delivered_);
  delivered_ = 0;
}

void BatchSender::DeadLetter(BatchEvent* event) {
  core::DeadLetter letter;
  letter.route = options_.target->name;
  letter.event = *event->event;
  letter.reason = log::RedactSecrets(event->failure);
  letter.at = options_.clock->Now();
  absl::Status stored = options_.queue->AddDeadLetter(letter);
  if (!stored.ok()) {
    // Leave it pending: its queue entry is released and read again later.
    std::string error = stored.ToString();
    log::Error("dead letter not stored; event stays queued",
               {{"route", options_.target->name},
                {"workspace", event->event->workspace()},
                {"event_id", event->event->event_id()},
                {"reason", letter.reason},
                {"error", error}});
    return;
  }
  event->state = BatchEvent::State::kDeadLettered;
  options_.telemetry->OnEventsFailed(options_.target->name, 1, event->failure_class);
  log::Warn("event dead-lettered", {{"route", options_.target->name},
                                    {"workspace", event->event->workspace()},
                                    {"event_id", event->event->event_id()},
                                    {"reason", letter.reason}});
}

}  // namespace tracegate::exporter
