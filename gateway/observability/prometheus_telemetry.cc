#include "gateway/observability/prometheus_telemetry.h"

#include "absl/strings/str_cat.h"
#include "prometheus/text_serializer.h"

namespace tracegate::observability {
namespace {

const char* OutcomeName(core::EventOutcome o) {
  switch (o) {
    case core::EventOutcome::kAccepted: return "accepted";
    case core::EventOutcome::kDuplicate: return "duplicate";
    case core::EventOutcome::kRejected: return "rejected";
  }
  return "unknown";
}

std::string S(absl::string_view v) { return std::string(v); }

}  // namespace

PrometheusTelemetry::PrometheusTelemetry()
    : registry_(std::make_shared<prometheus::Registry>()),
      events_(prometheus::BuildCounter()
                  .Name("tracegate_events_total")
                  .Help("Events received, by workspace and outcome (accepted/duplicate/rejected)")
                  .Register(*registry_)),
      traces_sampled_out_(prometheus::BuildCounter()
                              .Name("tracegate_traces_sampled_out_total")
                              .Help("Trace events (trace create/update) dropped by privacy "
                                    "sampling, by workspace")
                              .Register(*registry_)),
      export_requests_(prometheus::BuildCounter()
                           .Name("tracegate_export_requests_total")
                           .Help("HTTP requests to Langfuse by route, endpoint and status "
                                 "(0 = transport error)")
                           .Register(*registry_)),
      export_latency_(prometheus::BuildHistogram()
                          .Name("tracegate_export_request_duration_seconds")
                          .Help("Latency of HTTP requests to Langfuse")
                          .Register(*registry_)),
      export_retries_(prometheus::BuildCounter()
                          .Name("tracegate_export_retries_total")
                          .Help("Export requests retried after a transient failure")
                          .Register(*registry_)),
      delivered_(prometheus::BuildCounter()
                     .Name("tracegate_events_delivered_total")
                     .Help("Events Langfuse accepted")
                     .Register(*registry_)),
      failed_(prometheus::BuildCounter()
                  .Name("tracegate_events_failed_total")
                  .Help("Events that failed for good (dead-lettered), by reason")
                  .Register(*registry_)),
      queue_events_(prometheus::BuildGauge()
                        .Name("tracegate_queue_events")
                        .Help("Events waiting in a route's queue (queued + in flight)")
                        .Register(*registry_)),
      queue_age_(prometheus::BuildGauge()
                     .Name("tracegate_queue_oldest_age_seconds")
                     .Help("Age of the oldest entry in a route's queue")
                     .Register(*registry_)),
      dead_letters_(prometheus::BuildGauge()
                        .Name("tracegate_dead_letters_total")
                        .Help("Dead letters recorded for a route since start")
                        .Register(*registry_)) {}

void PrometheusTelemetry::OnEvents(absl::string_view workspace, core::EventOutcome outcome,
                                   int64_t n, absl::string_view reason) {
  if (n <= 0) return;
  events_.Add({{"workspace", S(workspace)}, {"outcome", OutcomeName(outcome)},
               {"reason", S(reason)}})
      .Increment(static_cast<double>(n));
}

void PrometheusTelemetry::OnTracesSampledOut(absl::string_view workspace, int64_t n) {
  if (n > 0) {
    traces_sampled_out_.Add({{"workspace", S(workspace)}}).Increment(static_cast<double>(n));
  }
}

void PrometheusTelemetry::OnExportRequest(absl::string_view route, absl::string_view endpoint,
                                          int status, absl::Duration latency) {
  export_requests_
      .Add({{"route", S(route)}, {"endpoint", S(endpoint)}, {"status", absl::StrCat(status)}})
      .Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  export_latency_.Add({{"route", S(route)}, {"endpoint", S(endpoint)}}, kBuckets)
      .Observe(absl::ToDoubleSeconds(latency));
}

void PrometheusTelemetry::OnExportRetry(absl::string_view route, absl::string_view endpoint) {
  export_retries_.Add({{"route", S(route)}, {"endpoint", S(endpoint)}}).Increment();
}

void PrometheusTelemetry::OnEventsDelivered(absl::string_view route, int64_t n) {
  if (n > 0) delivered_.Add({{"route", S(route)}}).Increment(static_cast<double>(n));
}

void PrometheusTelemetry::OnEventsFailed(absl::string_view route, int64_t n,
                                         absl::string_view reason) {
  if (n > 0) {
    failed_.Add({{"route", S(route)}, {"reason", S(reason)}}).Increment(static_cast<double>(n));
  }
}

void PrometheusTelemetry::SetQueueStats(absl::string_view route, const core::QueueStats& stats) {
  queue_events_.Add({{"route", S(route)}}).Set(static_cast<double>(stats.events));
  queue_age_.Add({{"route", S(route)}}).Set(absl::ToDoubleSeconds(stats.oldest_age));
  dead_letters_.Add({{"route", S(route)}}).Set(static_cast<double>(stats.dead_letters));
}

std::string PrometheusTelemetry::Render() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace tracegate::observability
