// The receive side of one request batch, after authentication:
//   route → validate → stamp → policy (privacy, sampling, enrichment) → dedupe → queue,
// and one result per event.
//
// Contract
// - Process() handles one request for an authenticated principal and fills `response`
//   with exactly one EventResult per event, in request order. A bad event is REJECTED
//   alone (INVALID_ARGUMENT / PERMISSION_DENIED / NOT_FOUND with a reason naming the
//   field); it never affects the others.
// - Call-level errors (returned Status): INVALID_ARGUMENT when the batch is too large,
//   PERMISSION_DENIED when the key may write none of the workspaces in the batch.
// - Dedupe and queue are one IngestStore::DedupeAndAppend call per (workspace, route) per
//   request (Redis: one round trip; embedded: Deduper then Queue). When the store is down,
//   the affected events are REJECTED UNAVAILABLE (or RESOURCE_EXHAUSTED for a full route)
//   with a retry hint, and nothing stays marked, so the client's retry is not taken for a
//   duplicate.
// - ACCEPTED is only reported after the store appended the events.
// - Process() blocks on the deduper and queue: call it from a worker thread, never from a
//   gRPC reactor. It moves accepted events out of `request`.
// - Thread-safe: any number of threads may call Process() at once.
#pragma once

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gateway/core/clock.h"
#include "gateway/core/deduper.h"
#include "gateway/core/ingest_store.h"
#include "gateway/core/principal.h"
#include "gateway/core/queue.h"
#include "gateway/core/route_target.h"
#include "gateway/core/telemetry.h"
#include "tracegate/v1/ingest_service.pb.h"

namespace tracegate::receive {

// Stage hooks, wired by server/ to route::Router and validate::Validator.
using RouteLookup =
    std::function<std::shared_ptr<const core::RouteTarget>(absl::string_view workspace)>;
using EventValidator = std::function<absl::Status(const tracegate::v1::TraceEvent&, absl::Time)>;
// Request-level values for the policy (IngestRequest.request_id / app_id; may be empty).
// Valid during the policy call only.
struct RequestContext {
  absl::string_view request_id;
  absl::string_view app_id;
};
// Rewrites a valid event in place before it is deduped and queued (privacy/ enrichment).
// Returns false to drop the event on purpose (sampling): the client still gets ACCEPTED,
// nothing is forwarded, and telemetry counts it as accepted with reason "sampled" (and,
// when it is a Trace event, with Telemetry::OnTracesSampledOut).
// An error status rejects the event with that status. Optional (unset = keep as is).
using EventPolicy = std::function<absl::StatusOr<bool>(tracegate::v1::TraceEvent& event,
                                                       const core::RouteTarget& route,
                                                       const RequestContext& request)>;

struct IngestPipelineOptions {
  RouteLookup route;
  EventValidator validate;
  EventPolicy policy;  // optional
  // Either `store`, or `deduper` + `queue` (wrapped in a core::SplitIngestStore).
  core::IngestStore* store = nullptr;
  core::Deduper* deduper = nullptr;
  core::Queue* queue = nullptr;
  core::Telemetry* telemetry = &core::Telemetry::Noop();
  const core::Clock* clock = &core::Clock::Real();
  size_t max_events_per_batch = 10000;
  // Retry hint given with UNAVAILABLE / RESOURCE_EXHAUSTED rejections.
  absl::Duration retry_after = absl::Seconds(1);
};

class IngestPipeline {
 public:
  static absl::StatusOr<std::unique_ptr<IngestPipeline>> Create(IngestPipelineOptions options);

  absl::Status Process(const core::Principal& principal, tracegate::v1::IngestRequest& request,
                       tracegate::v1::IngestResponse& response) const;

 private:
  explicit IngestPipeline(IngestPipelineOptions options);
  const IngestPipelineOptions options_;
  std::unique_ptr<core::IngestStore> split_store_;  // when built from deduper + queue
  core::IngestStore* store_;
};

}  // namespace tracegate::receive
