#include "gateway/observability/prometheus_telemetry.h"

#include "gtest/gtest.h"

namespace tracegate::observability {
namespace {

TEST(PrometheusTelemetryTest, RendersCountersWithLabels) {
  PrometheusTelemetry t;
  t.OnEvents("rag", core::EventOutcome::kAccepted, 5, "");
  t.OnEvents("rag", core::EventOutcome::kRejected, 2, "invalid");
  t.OnExportRequest("default", "otel", 503, absl::Milliseconds(20));
  t.OnExportRetry("default", "otel");
  t.OnEventsDelivered("default", 7);
  t.OnEventsFailed("default", 1, "http_400");
  core::QueueStats s;
  s.events = 12;
  s.oldest_age = absl::Seconds(3);
  t.SetQueueStats("default", s);
  const std::string text = t.Render();
  EXPECT_NE(text.find(R"(tracegate_events_total{outcome="accepted",reason="",workspace="rag"} 5)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(tracegate_events_total{outcome="rejected",reason="invalid",workspace="rag"} 2)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(tracegate_export_requests_total{endpoint="otel",route="default",status="503"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find("tracegate_export_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(text.find(R"(tracegate_events_delivered_total{route="default"} 7)"), std::string::npos);
  EXPECT_NE(text.find(R"(tracegate_queue_events{route="default"} 12)"), std::string::npos);
  EXPECT_NE(text.find(R"(tracegate_queue_oldest_age_seconds{route="default"} 3)"), std::string::npos);
}

}  // namespace
}  // namespace tracegate::observability
