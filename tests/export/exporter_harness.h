// A RouteExporter wired to fakes (FakeQueue, FakeTransport, FakeClock, RecordingTelemetry)
// for the exporter tests. Jitter is off (random = 0), so every backoff equals
// initial_backoff and the FakeClock's TotalSlept() is exact.
#pragma once

#include <memory>

#include "gateway/core/clock.h"
#include "gateway/export/route_exporter.h"
#include "gateway/observability/log.h"
#include "gtest/gtest.h"
#include "tests/export/fake_queue.h"
#include "tests/export/fake_transport.h"
#include "tests/export/test_util.h"

namespace tracegate::exporter::testing {

class ExporterTest : public ::testing::Test {
 protected:
  void SetUp() override { log::SetLevel(log::Level::kError); }
  void TearDown() override { log::SetLevel(log::Level::kInfo); }

  RouteExporterOptions Options(std::shared_ptr<const core::RouteTarget> target) {
    RouteExporterOptions o;
    o.target = std::move(target);
    o.queue = &queue_;
    o.transport_factory = [this] { return std::make_unique<ForwardingTransport>(&transport_); };
    o.clock = &clock_;
    o.telemetry = &telemetry_;
    o.linger = absl::Milliseconds(10);
    o.random = [] { return 0.0; };
    return o;
  }

  std::unique_ptr<RouteExporter> Start(const RouteExporterOptions& options) {
    auto exporter = RouteExporter::Create(options);
    EXPECT_TRUE(exporter.ok()) << exporter.status();
    if (!exporter.ok()) return nullptr;
    EXPECT_TRUE((*exporter)->Start().ok());
    return *std::move(exporter);
  }

  // Appends `batch`, runs an exporter until `entries` entries are settled, stops it.
  void RunUntilSettled(const RouteExporterOptions& options, size_t entries) {
    auto exporter = Start(options);
    ASSERT_NE(exporter, nullptr);
    ASSERT_TRUE(queue_.WaitSettled(entries)) << "exporter did not settle the entries";
    exporter->Stop(clock_.Now());
    EXPECT_EQ(exporter->in_flight(), 0u);
  }

  FakeQueue queue_;
  FakeTransport transport_;
  core::FakeClock clock_;
  RecordingTelemetry telemetry_;
};

}  // namespace tracegate::exporter::testing
