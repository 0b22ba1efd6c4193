#include "gateway/receive/ingest_pipeline.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"

namespace tracegate::receive {
namespace {

using tracegate::v1::EventResult;
using tracegate::v1::EventStatus;

// Counts outcomes per (workspace label, outcome, reason) and reports them once per batch.
class OutcomeTally {
 public:
  void Add(absl::string_view ws, core::EventOutcome o, absl::string_view reason,
           int64_t n = 1) {
    counts_[std::make_tuple(std::string(ws), o, std::string(reason))] += n;
  }
  // A Trace event (not an observation or score) dropped by sampling.
  void AddSampledOutTrace(absl::string_view ws) { ++sampled_out_traces_[std::string(ws)]; }
  void Report(core::Telemetry& t) const {
    for (const auto& [key, n] : counts_) {
      t.OnEvents(std::get<0>(key), std::get<1>(key), n, std::get<2>(key));
    }
    for (const auto& [ws, n] : sampled_out_traces_) t.OnTracesSampledOut(ws, n);
  }

 private:
  absl::flat_hash_map<std::tuple<std::string, core::EventOutcome, std::string>, int64_t> counts_;
  absl::flat_hash_map<std::string, int64_t> sampled_out_traces_;
};

void SetRetryAfter(EventResult* r, absl::Duration d) {
  const int64_t ms = absl::ToInt64Milliseconds(d);
  r->mutable_retry_after()->set_seconds(ms / 1000);
  r->mutable_retry_after()->set_nanos(static_cast<int32_t>((ms % 1000) * 1000000));
}

void Reject(EventResult* r, absl::StatusCode code, absl::string_view reason) {
  r->set_status(tracegate::v1::EVENT_STATUS_REJECTED);
  r->set_code(static_cast<int32_t>(code));
  r->set_reason(std::string(reason));
}

const char* ReasonClass(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument: return "invalid";
    case absl::StatusCode::kPermissionDenied: return "permission";
    case absl::StatusCode::kNotFound: return "no_route";
    case absl::StatusCode::kResourceExhausted: return "queue_full";
    case absl::StatusCode::kUnavailable: return "unavailable";
    default: return "other";
  }
}

struct Candidate {
  int index;
  std::shared_ptr<const core::RouteTarget> route;
};

}  // namespace

absl::StatusOr<std::unique_ptr<IngestPipeline>> IngestPipeline::Create(
    IngestPipelineOptions options) {
  const bool has_store =
      options.store != nullptr || (options.deduper != nullptr && options.queue != nullptr);
  if (!options.route || !options.validate || !has_store || options.telemetry == nullptr ||
      options.clock == nullptr) {
    return absl::InvalidArgumentError("IngestPipeline: every stage must be set");
  }
  return std::unique_ptr<IngestPipeline>(new IngestPipeline(std::move(options)));
}

IngestPipeline::IngestPipeline(IngestPipelineOptions options)
    : options_(std::move(options)), store_(options_.store) {
  if (store_ == nullptr) {
    split_store_ = std::make_unique<core::SplitIngestStore>(options_.deduper, options_.queue);
    store_ = split_store_.get();
  }
}

absl::Status IngestPipeline::Process(const core::Principal& principal,
                                     tracegate::v1::IngestRequest& request,
                                     tracegate::v1::IngestResponse& response) const {
  const int n = request.events_size();
  response.set_batch_id(request.batch_id());
  if (static_cast<size_t>(n) > options_.max_events_per_batch) {
    return absl::InvalidArgumentError(absl::StrCat("batch has ", n, " events; the limit is ",
                                                   options_.max_events_per_batch));
  }
  const absl::Time now = options_.clock->Now();
  OutcomeTally tally;
  response.mutable_results()->Reserve(n);

  const RequestContext request_context{request.request_id(), request.app_id()};
  // 1. Per event: workspace, permission, route, validation. Group survivors by workspace.
  std::vector<std::pair<std::string, std::vector<Candidate>>> by_workspace;
  std::vector<std::string> denied_workspaces;
  int denied = 0;
  for (int i = 0; i < n; ++i) {
    tracegate::v1::TraceEvent& ev = *request.mutable_events(i);
    EventResult* result = response.add_results();
    result->set_event_id(ev.event_id());
    if (ev.workspace().empty()) {
      if (request.default_workspace().empty()) {
        Reject(result, absl::StatusCode::kInvalidArgument,
               "workspace: required (set TraceEvent.workspace or "
               "IngestRequest.default_workspace)");
        tally.Add("_none", core::EventOutcome::kRejected, "invalid");
        continue;
      }
      ev.set_workspace(request.default_workspace());
    }
    const std::string& ws = ev.workspace();
    auto route = options_.route(ws);
    const absl::string_view ws_label = route ? absl::string_view(ws) : "_unrouted";
    if (!principal.MayWrite(ws)) {
      ++denied;
      if (denied_workspaces.size() < 3) denied_workspaces.push_back(ws);
      Reject(result, absl::StatusCode::kPermissionDenied,
             absl::StrCat("workspace \"", ws, "\": this API key may not write it"));
      tally.Add(ws_label, core::EventOutcome::kRejected, "permission");
      continue;
    }
    if (!route) {
      Reject(result, absl::StatusCode::kNotFound,
             absl::StrCat("workspace \"", ws, "\": unknown workspace (no route configured)"));
      tally.Add(ws_label, core::EventOutcome::kRejected, "no_route");
      continue;
    }
    if (!ev.has_timestamp()) {
      *ev.mutable_timestamp() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
          absl::ToUnixNanos(now));
    }
    if (absl::Status st = options_.validate(ev, now); !st.ok()) {
      Reject(result, st.code(), st.message());
      tally.Add(ws_label, core::EventOutcome::kRejected, ReasonClass(st.code()));
      continue;
    }
    if (options_.policy) {
      absl::StatusOr<bool> keep = options_.policy(ev, *route, request_context);
      if (!keep.ok()) {
        Reject(result, keep.status().code(), keep.status().message());
        tally.Add(ws_label, core::EventOutcome::kRejected, ReasonClass(keep.status().code()));
        continue;
      }
      if (!*keep) {
        result->set_status(tracegate::v1::EVENT_STATUS_ACCEPTED);
        tally.Add(ws_label, core::EventOutcome::kAccepted, "sampled");
        if (ev.has_trace()) tally.AddSampledOutTrace(ws_label);
        continue;
      }
    }
    auto it = std::find_if(by_workspace.begin(), by_workspace.end(),
                           [&](const auto& g) { return g.first == ws; });
    if (it == by_workspace.end()) {
      by_workspace.emplace_back(ws, std::vector<Candidate>{});
      it = by_workspace.end() - 1;
    }
    it->second.push_back(Candidate{i, std::move(route)});
  }
  if (n > 0 && denied == n) {
    tally.Report(*options_.telemetry);
    response.Clear();
    return absl::PermissionDeniedError(
        absl::StrCat("this API key may not write workspace(s) \"",
                     absl::StrJoin(denied_workspaces, "\", \""), "\""));
  }

  // 2. Dedupe + queue: one store call per (workspace, route); normally one route per workspace.
  for (auto& [ws, candidates] : by_workspace) {
    std::vector<std::pair<std::shared_ptr<const core::RouteTarget>, std::vector<int>>> buckets;
    for (const Candidate& c : candidates) {
      auto b = std::find_if(buckets.begin(), buckets.end(),
                            [&](const auto& x) { return x.first == c.route; });
      if (b == buckets.end()) {
        buckets.emplace_back(c.route, std::vector<int>{});
        b = buckets.end() - 1;
      }
      b->second.push_back(c.index);
    }
    for (auto& [route, indices] : buckets) {
      tracegate::v1::IngestRequest batch;
      batch.mutable_events()->Reserve(static_cast<int>(indices.size()));
      for (int idx : indices) batch.add_events()->Swap(request.mutable_events(idx));
      absl::StatusOr<core::IngestResult> stored =
          store_->DedupeAndAppend(ws, route->name, std::move(batch));
      if (stored.ok() && stored->fresh.size() != indices.size()) {
        stored = absl::InternalError("store answered for a different number of events");
      }
      if (!stored.ok()) {
        for (int idx : indices) {
          EventResult* r = response.mutable_results(idx);
          Reject(r, absl::StatusCode::kUnavailable,
                 absl::StrCat("dedupe/queue store unavailable, resend later: ",
                              stored.status().message()));
          SetRetryAfter(r, options_.retry_after);
        }
        tally.Add(ws, core::EventOutcome::kRejected, "unavailable",
                  static_cast<int64_t>(indices.size()));
        continue;
      }
      const absl::Status& st = stored->append;
      const absl::StatusCode code = st.code() == absl::StatusCode::kResourceExhausted
                                        ? absl::StatusCode::kResourceExhausted
                                        : absl::StatusCode::kUnavailable;
      int64_t accepted = 0;
      int64_t rejected = 0;
      for (size_t k = 0; k < indices.size(); ++k) {
        EventResult* r = response.mutable_results(indices[k]);
        if (!stored->fresh[k]) {
          r->set_status(tracegate::v1::EVENT_STATUS_DUPLICATE);
          tally.Add(ws, core::EventOutcome::kDuplicate, "");
        } else if (st.ok()) {
          r->set_status(tracegate::v1::EVENT_STATUS_ACCEPTED);
          ++accepted;
        } else {
          // Not queued (and not marked): the client's retry is not a "duplicate".
          Reject(r, code, absl::StrCat("not queued, resend later: ", st.message()));
          SetRetryAfter(r, options_.retry_after);
          ++rejected;
        }
      }
      if (accepted > 0) tally.Add(ws, core::EventOutcome::kAccepted, "", accepted);
      if (rejected > 0) tally.Add(ws, core::EventOutcome::kRejected, ReasonClass(code), rejected);
    }
  }

  for (const EventResult& r : response.results()) {
    switch (r.status()) {
      case tracegate::v1::EVENT_STATUS_ACCEPTED: response.set_accepted(response.accepted() + 1); break;
      case tracegate::v1::EVENT_STATUS_DUPLICATE: response.set_duplicate(response.duplicate() + 1); break;
      default: response.set_rejected(response.rejected() + 1); break;
    }
  }
  tally.Report(*options_.telemetry);
  return absl::OkStatus();
}

}  // namespace tracegate::receive
