// Prometheus metrics for the whole gateway: implements core::Telemetry with prometheus-cpp
// and renders the text exposition format for /metrics.
//
// Metric names (all prefixed tracegate_):
//   events_total{workspace,outcome,reason}             receive-side results
//   traces_sampled_out_total{workspace}                Trace events dropped by sampling
//   export_requests_total{route,endpoint,status}       HTTP requests to Langfuse
//   export_request_duration_seconds{route,endpoint}    histogram of request latency
//   export_retries_total{route,endpoint}
//   events_delivered_total{route}, events_failed_total{route,reason}
//   queue_events{route}, queue_oldest_age_seconds{route}, dead_letters_total{route}
// Thread-safe. Labels come from config names only (routes, workspaces), never from keys.
#pragma once

#include <memory>
#include <string>

#include "gateway/core/queue.h"
#include "gateway/core/telemetry.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace tracegate::observability {

class PrometheusTelemetry final : public core::Telemetry {
 public:
  PrometheusTelemetry();

  void OnEvents(absl::string_view workspace, core::EventOutcome outcome, int64_t n,
                absl::string_view reason) override;
  void OnTracesSampledOut(absl::string_view workspace, int64_t n) override;
  void OnExportRequest(absl::string_view route, absl::string_view endpoint, int status,
                       absl::Duration latency) override;
  void OnExportRetry(absl::string_view route, absl::string_view endpoint) override;
  void OnEventsDelivered(absl::string_view route, int64_t n) override;
  void OnEventsFailed(absl::string_view route, int64_t n, absl::string_view reason) override;

  // Copies a queue's state into the gauges (called before each scrape).
  void SetQueueStats(absl::string_view route, const core::QueueStats& stats);

  // The text exposition format of every metric.
  std::string Render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Family<prometheus::Counter>& traces_sampled_out_;
  prometheus::Family<prometheus::Counter>& export_requests_;
  prometheus::Family<prometheus::Histogram>& export_latency_;
  prometheus::Family<prometheus::Counter>& export_retries_;
  prometheus::Family<prometheus::Counter>& delivered_;
  prometheus::Family<prometheus::Counter>& failed_;
  prometheus::Family<prometheus::Gauge>& queue_events_;
  prometheus::Family<prometheus::Gauge>& queue_age_;
  prometheus::Family<prometheus::Gauge>& dead_letters_;
};

}  // namespace tracegate::observability
