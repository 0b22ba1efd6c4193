// BatchSender, legacy path: events → POST /api/public/ingestion as {"batch":[...]} JSON.
// Used for scores on every route and for everything on legacy routes. A 207 answers each
// event: only the per-event 5xx are resent, per-event 4xx are dead-lettered.
#include <algorithm>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gateway/export/batch_sender.h"
#include "gateway/export/ingestion_response.h"
#include "gateway/translate/id_mapping.h"
#include "gateway/translate/legacy_translator.h"
#include "nlohmann/json.hpp"

namespace tracegate::exporter {
namespace {

// The envelope "id" of one translated event (for parts whose id we do not derive ourselves).
std::string EnvelopeIdOf(const std::string& json) {
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return "";
  auto it = parsed.find("id");
  if (it == parsed.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

}  // namespace

void BatchSender::SendLegacy(const std::vector<BatchEvent*>& events, bool otlp_ids) {
  const size_t max_body = std::min(options_.max_batch_bytes, kMaxIngestionBodyBytes);
  std::deque<LegacyPart> storage;  // stable addresses for the part pointers below
  std::vector<LegacyPart*> parts;
  for (BatchEvent* e : events) {
    const v1::TraceEvent& event = *e->event;
    translate::LegacyOptions legacy;
    legacy.workspace = event.workspace();
    legacy.default_environment = options_.target->environment;
    legacy.otlp_ids = otlp_ids;
    absl::StatusOr<std::string> json = translate::ToIngestionEvent(event, legacy);
    if (!json.ok()) {
      e->parts_left = 1;
      PartFailed(e, absl::StrCat("translate: ", json.status().message()), "translate");
      continue;
    }
    std::vector<LegacyPart> own;
    own.push_back(
        {e, *std::move(json), translate::EnvelopeId(event.workspace(), event.event_id()), ""});
    // On legacy routes an observation's trace-level attributes travel as a trace-create.
    if (!otlp_ids && translate::HasTraceAttributes(event)) {
      absl::StatusOr<std::string> extra = translate::ToTraceAttributesEvent(event, legacy);
      if (extra.ok()) {
        std::string id = EnvelopeIdOf(*extra);
        own.push_back({e, *std::move(extra), std::move(id), ""});
      } else {
        own.push_back({e, "", "", absl::StrCat("translate: ", extra.status().message())});
      }
    }
    e->parts_left = static_cast<int>(own.size());
    for (LegacyPart& part : own) {
      if (part.json.empty() || part.id.empty()) {
        PartFailed(e, part.last_error.empty() ? "translate: event has no id" : part.last_error,
                   "translate");
      } else if (part.json.size() + LangfuseClient::IngestionOverhead(1) > kMaxIngestionBodyBytes) {
        PartFailed(e,
                   absl::StrCat("too large: ", part.json.size(), " bytes of JSON exceed the ",
                                kMaxIngestionBodyBytes, "-byte ingestion limit"),
                   "too_large");
      } else {
        storage.push_back(std::move(part));
        parts.push_back(&storage.back());
      }
    }
  }

  std::vector<LegacyPart*> chunk;
  size_t bytes = LangfuseClient::IngestionOverhead(0);
  for (LegacyPart* part : parts) {
    if (abandoned_) return;
    if (!chunk.empty() &&
        (chunk.size() >= options_.max_batch_events || bytes + part->json.size() + 1 > max_body)) {
      DeliverLegacy(std::move(chunk), 0);
      chunk.clear();
      bytes = LangfuseClient::IngestionOverhead(0);
    }
    chunk.push_back(part);
    bytes += part->json.size() + 1;
  }
  if (!chunk.empty() && !abandoned_) DeliverLegacy(std::move(chunk), 0);
}

void BatchSender::DeliverLegacy(std::vector<LegacyPart*> pending, int attempts) {
  while (!pending.empty()) {
    if (abandoned_) return;
    std::vector<const std::string*> texts;
    texts.reserve(pending.size());
    for (LegacyPart* p : pending) texts.push_back(&p->json);
    absl::StatusOr<HttpResponse> result =
        Post(kIngestionEndpoint, options_.client->IngestionRequest(texts));
    if (abandoned_) return;
    ++attempts;
    ExportOutcome outcome = Classify(result);

    if (outcome == ExportOutcome::kDelivered && result->status != 207) {
      for (LegacyPart* p : pending) PartDelivered(p->owner);
      FlushDelivered();
      return;
    }
    if (outcome == ExportOutcome::kDelivered) {
      absl::StatusOr<IngestionResponse> parsed = ParseIngestionResponse(result->body);
      if (parsed.ok()) {
        absl::flat_hash_map<absl::string_view, const IngestionEventResult*> errors;
        absl::flat_hash_map<absl::string_view, bool> successes;
        for (const IngestionEventResult& r : parsed->errors) errors.try_emplace(r.id, &r);
        for (const IngestionEventResult& r : parsed->successes) successes.try_emplace(r.id, true);
        std::vector<LegacyPart*> again;
        for (LegacyPart* p : pending) {
          auto error = errors.find(p->id);
          if (successes.contains(p->id) ||
              (error != errors.end() &&
               PerEventOutcome(*error->second) == ExportOutcome::kDelivered)) {
            PartDelivered(p->owner);
          } else if (error == errors.end()) {
            p->last_error = "HTTP 207: event missing from the response";
            again.push_back(p);
          } else {
            std::string reason = absl::StrCat("HTTP 207: event status ", error->second->status,
                                              ": ", error->second->message);
            if (PerEventOutcome(*error->second) == ExportOutcome::kPermanent) {
              PartFailed(p->owner, reason, "rejected");
            } else {
              p->last_error = std::move(reason);
              again.push_back(p);
            }
          }
        }
        FlushDelivered();
        pending = std::move(again);
        if (pending.empty()) return;
      } else {
        for (LegacyPart* p : pending) p->last_error = "HTTP 207: " + parsed.status().ToString();
      }
      outcome = ExportOutcome::kRetryable;
    }

    if (outcome == ExportOutcome::kRetryable) {
      switch (BeforeRetry(kIngestionEndpoint, attempts, result)) {
        case RetryVerdict::kRetry:
          continue;
        case RetryVerdict::kAbandon:
          return;
        case RetryVerdict::kGiveUp:
          for (LegacyPart* p : pending) {
            PartFailed(p->owner,
                       absl::StrCat("gave up after ", attempts, " attempts: ",
                                    p->last_error.empty() ? DescribeResult(result) : p->last_error),
                       "retries_exhausted");
          }
          return;
      }
    }
    bool split = outcome == ExportOutcome::kSplit || result->status == 400;
    if (split && pending.size() > 1) {
      size_t half = pending.size() / 2;
      std::vector<LegacyPart*> second(pending.begin() + half, pending.end());
      pending.resize(half);
      DeliverLegacy(std::move(pending), 0);
      DeliverLegacy(std::move(second), 0);
      return;
    }
    std::string reason = DescribeResult(result);
    for (LegacyPart* p : pending) PartFailed(p->owner, reason, "rejected");
    return;
  }
}

}  // namespace tracegate::exporter
