// BatchSender, OTLP path: traces and observations → POST /api/public/otel/v1/traces.
// Langfuse rejects a whole export when one span is bad (400), so a rejected export is split
// in halves and resent until the bad spans stand alone; only those are dead-lettered.
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gateway/export/batch_sender.h"
#include "gateway/translate/otlp_encoder.h"

namespace tracegate::exporter {
namespace {

translate::OtlpOptions EncoderOptions(const core::RouteTarget& target,
                                      const std::string& workspace) {
  translate::OtlpOptions options;
  options.service_name = "tracegate";
  options.default_environment = target.environment;
  options.workspace = workspace;
  return options;
}

}  // namespace

void BatchSender::SendOtlp(const std::vector<BatchEvent*>& events) {
  // One export per workspace (the resource carries it), in first-seen order.
  std::vector<std::string> order;
  absl::flat_hash_map<std::string, std::vector<BatchEvent*>> by_workspace;
  for (BatchEvent* e : events) {
    e->parts_left = 1;
    auto [it, inserted] = by_workspace.try_emplace(e->event->workspace());
    if (inserted) order.push_back(e->event->workspace());
    it->second.push_back(e);
  }
  for (const std::string& workspace : order) {
    translate::OtlpBatchEncoder encoder(EncoderOptions(*options_.target, workspace));
    std::vector<BatchEvent*> chunk;
    for (BatchEvent* e : by_workspace[workspace]) {
      if (abandoned_) return;
      absl::Status added = encoder.Add(*e->event);
      if (!added.ok()) {
        PartFailed(e, absl::StrCat("translate: ", added.message()), "translate");
        continue;
      }
      chunk.push_back(e);
      if (encoder.span_count() >= options_.max_batch_events ||
          encoder.approx_bytes() >= options_.max_batch_bytes) {
        DeliverOtlp(chunk, encoder.Serialize());
        chunk.clear();
        encoder.Clear();
      }
    }
    if (!chunk.empty() && !abandoned_) DeliverOtlp(chunk, encoder.Serialize());
  }
}

std::string BatchSender::EncodeOtlp(const std::vector<BatchEvent*>& events,
                                    std::vector<BatchEvent*>* encoded) {
  translate::OtlpBatchEncoder encoder(
      EncoderOptions(*options_.target, events.front()->event->workspace()));
  for (BatchEvent* e : events) {
    absl::Status added = encoder.Add(*e->event);
    if (!added.ok()) {
      PartFailed(e, absl::StrCat("translate: ", added.message()), "translate");
      continue;
    }
    encoded->push_back(e);
  }
  return encoder.Serialize();
}

void BatchSender::DeliverOtlp(const std::vector<BatchEvent*>& events, std::string proto) {
  if (abandoned_ || events.empty()) return;
  absl::StatusOr<HttpRequest> request = options_.client->OtlpRequest(proto);
  if (!request.ok()) {
    for (BatchEvent* e : events) {
      PartFailed(e, absl::StrCat("encode: ", request.status().ToString()), "internal");
    }
    return;
  }
  proto.clear();
  int attempts = 0;
  while (true) {
    absl::StatusOr<HttpResponse> result = Post(kOtelEndpoint, *request);
    if (abandoned_) return;
    ++attempts;
    ExportOutcome outcome = Classify(result);
    if (outcome == ExportOutcome::kDelivered) {
      for (BatchEvent* e : events) PartDelivered(e);
      FlushDelivered();
      return;
    }
    if (outcome == ExportOutcome::kRetryable) {
      switch (BeforeRetry(kOtelEndpoint, attempts, result)) {
        case RetryVerdict::kRetry:
          continue;
        case RetryVerdict::kAbandon:
          return;
        case RetryVerdict::kGiveUp: {
          std::string reason =
              absl::StrCat("gave up after ", attempts, " attempts: ", DescribeResult(result));
          for (BatchEvent* e : events) PartFailed(e, reason, "retries_exhausted");
          return;
        }
      }
    }
    bool split = outcome == ExportOutcome::kSplit || result->status == 400;
    if (split && events.size() > 1) {
      size_t half = events.size() / 2;
      std::vector<BatchEvent*> parts[2] = {
          std::vector<BatchEvent*>(events.begin(), events.begin() + half),
          std::vector<BatchEvent*>(events.begin() + half, events.end())};
      for (const std::vector<BatchEvent*>& part : parts) {
        if (abandoned_) return;
        std::vector<BatchEvent*> encoded;
        std::string body = EncodeOtlp(part, &encoded);
        DeliverOtlp(encoded, std::move(body));
      }
      return;
    }
    std::string reason = DescribeResult(result);
    for (BatchEvent* e : events) PartFailed(e, reason, "rejected");
    return;
  }
}

}  // namespace tracegate::exporter
