// RouteExporter lifecycle: batching, Stop() semantics, egress auto-detection, route
// isolation, option validation.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "nlohmann/json.hpp"
#include "tests/export/exporter_harness.h"

namespace tracegate::exporter::testing {
namespace {

using RouteExporterTest = ExporterTest;

v1::TraceEvent WithInput(v1::TraceEvent e, size_t bytes) {
  std::string text(bytes, 'x');
  if (e.has_trace()) e.mutable_trace()->mutable_input()->set_text(text);
  if (e.has_observation()) e.mutable_observation()->mutable_input()->set_text(text);
  return e;
}

// Notifies once, from whichever thread gets there first.
class Once {
 public:
  void Notify() {
    if (!fired_.exchange(true)) note_.Notify();
  }
  bool Wait() { return note_.WaitForNotificationWithTimeout(absl::Seconds(20)); }

 private:
  std::atomic<bool> fired_{false};
  absl::Notification note_;
};

TEST_F(RouteExporterTest, BatchesByEventCountAcrossEntries) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(queue_.Append("main", Batch({Observation("o" + std::to_string(i))})).ok());
  }
  auto options = Options(MakeTarget(core::Egress::kOtlp));
  options.max_batch_events = 2;
  RunUntilSettled(options, 5);
  std::vector<size_t> sizes;
  for (const HttpRequest& r : transport_.requests()) sizes.push_back(SpanNames(r).size());
  EXPECT_EQ(sizes, (std::vector<size_t>{2, 2, 1}));
  EXPECT_EQ(queue_.acked().size(), 5u);
  EXPECT_EQ(telemetry_.delivered(), 5);
}

TEST_F(RouteExporterTest, SplitsOneLargeEntryByEventCount) {
  v1::IngestRequest batch;
  for (int i = 0; i < 5; ++i) *batch.add_events() = Observation("o" + std::to_string(i));
  ASSERT_TRUE(queue_.Append("main", batch).ok());
  auto options = Options(MakeTarget(core::Egress::kOtlp));
  options.max_batch_events = 2;
  RunUntilSettled(options, 1);
  std::vector<size_t> sizes;
  for (const HttpRequest& r : transport_.requests()) sizes.push_back(SpanNames(r).size());
  EXPECT_EQ(sizes, (std::vector<size_t>{2, 2, 1}));
  EXPECT_EQ(queue_.acked(), std::vector<std::string>{"entry-1"});
}

TEST_F(RouteExporterTest, LegacyBodiesStayUnderMaxBatchBytes) {
  v1::IngestRequest batch;
  for (int i = 0; i < 6; ++i) *batch.add_events() = WithInput(Trace("t" + std::to_string(i)), 1000);
  ASSERT_TRUE(queue_.Append("main", batch).ok());
  transport_.SetHandler([](const HttpRequest& request) {
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    nlohmann::json ok = {{"successes", nlohmann::json::array()},
                         {"errors", nlohmann::json::array()}};
    for (const auto& e : body["batch"])
      ok["successes"].push_back({{"id", e["id"]}, {"status", 201}});
    return Response(207, ok.dump());
  });
  auto options = Options(MakeTarget(core::Egress::kLegacy));
  options.max_batch_bytes = 2500;
  RunUntilSettled(options, 1);
  size_t events = 0;
  for (const HttpRequest& r : transport_.requests()) {
    EXPECT_LE(r.body.size(), 2500u);
    events += nlohmann::json::parse(r.body, nullptr, false)["batch"].size();
  }
  EXPECT_EQ(events, 6u);
  EXPECT_EQ(transport_.request_count(), 3u);  // two ~1.1 KB events per body
  EXPECT_EQ(telemetry_.delivered(), 6);
}

TEST_F(RouteExporterTest, OtlpExportsAreCutByBytes) {
  v1::IngestRequest batch;
  for (int i = 0; i < 6; ++i) {
    *batch.add_events() = WithInput(Observation("o" + std::to_string(i)), 1000);
  }
  ASSERT_TRUE(queue_.Append("main", batch).ok());
  auto options = Options(MakeTarget(core::Egress::kOtlp));
  options.max_batch_bytes = 2500;
  RunUntilSettled(options, 1);
  size_t spans = 0;
  for (const HttpRequest& r : transport_.requests()) {
    size_t n = SpanNames(r).size();
    EXPECT_LE(n, 3u);
    spans += n;
  }
  EXPECT_EQ(spans, 6u);
  EXPECT_GE(transport_.request_count(), 2u);
}

TEST_F(RouteExporterTest, StopAbandonsRetriesAndReleasesUnackedEntries) {
  ASSERT_TRUE(queue_.Append("main", Batch({Observation("a"), Observation("b")})).ok());
  Once first_request;
  transport_.SetHandler([&](const HttpRequest&) {
    first_request.Notify();
    return Response(503);
  });
  auto exporter = Start(Options(MakeTarget(core::Egress::kOtlp)));
  ASSERT_NE(exporter, nullptr);
  ASSERT_TRUE(first_request.Wait());
  EXPECT_EQ(exporter->in_flight(), 2u);
  exporter->Stop(clock_.Now());
  EXPECT_EQ(queue_.released(), std::vector<std::string>{"entry-1"});
  EXPECT_TRUE(queue_.acked().empty());
  EXPECT_TRUE(queue_.dead_letters().empty());
  EXPECT_EQ(queue_.pending(), 0u);
  EXPECT_EQ(exporter->in_flight(), 0u);
  EXPECT_EQ(telemetry_.delivered(), 0);
  exporter->Stop(clock_.Now());  // a second Stop is a no-op
}

TEST_F(RouteExporterTest, StopLetsRetriesRunUntilTheDeadline) {
  ASSERT_TRUE(queue_.Append("main", Batch({Observation("a")})).ok());
  Once first_request;
  std::atomic<RouteExporter*> stopped{nullptr};
  transport_.SetHandler([&](const HttpRequest&) {
    first_request.Notify();
    // The first answer waits for Stop(), so that every retry (which advances the fake clock)
    // happens after the deadline was set.
    for (int i = 0; i < 20000 && stopped.load() == nullptr; ++i) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    return Response(503);
  });
  auto exporter = Start(Options(MakeTarget(core::Egress::kOtlp)));
  ASSERT_NE(exporter, nullptr);
  ASSERT_TRUE(first_request.Wait());
  absl::Time deadline = clock_.Now() + absl::Seconds(5);
  std::thread stopper([&] { exporter->Stop(deadline); });
  for (int i = 0; i < 20000 && !exporter->stopping(); ++i) absl::SleepFor(absl::Milliseconds(1));
  stopped.store(exporter.get());
  stopper.join();
  // Backoff is 500 ms (jitter off): about ten more attempts fit before the deadline.
  EXPECT_GE(transport_.request_count(), 10u);
  EXPECT_LE(clock_.Now(), deadline);
  EXPECT_EQ(queue_.released(), std::vector<std::string>{"entry-1"});
}

TEST_F(RouteExporterTest, StopCutsAnInProgressRequestShort) {
  ASSERT_TRUE(queue_.Append("main", Batch({Observation("a")})).ok());
  Once entered;
  transport_.SetHandler([&](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
    entered.Notify();
    // Like curl's progress callback: poll until the exporter asks to abort (bounded).
    for (int i = 0; i < 20000 && !(request.abort && request.abort()); ++i) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    return absl::CancelledError("aborted");
  });
  auto exporter = Start(Options(MakeTarget(core::Egress::kOtlp)));
  ASSERT_NE(exporter, nullptr);
  ASSERT_TRUE(entered.Wait());
  exporter->Stop(clock_.Now());
  EXPECT_EQ(transport_.request_count(), 1u);
  EXPECT_EQ(queue_.released(), std::vector<std::string>{"entry-1"});
  EXPECT_TRUE(queue_.dead_letters().empty());
}

TEST_F(RouteExporterTest, ReadsAreSizedByEventsPerEntry) {
  for (int e = 0; e < 6; ++e) {
    v1::IngestRequest batch;
    for (int i = 0; i < 10; ++i) {
      *batch.add_events() = Observation("o" + std::to_string(e) + "-" + std::to_string(i));
    }
    ASSERT_TRUE(queue_.Append("main", batch).ok());
  }
  auto options = Options(MakeTarget(core::Egress::kOtlp));
  options.max_batch_events = 20;
  RunUntilSettled(options, 6);
  std::vector<size_t> limits = queue_.read_limits();
  ASSERT_GE(limits.size(), 2u);
  EXPECT_EQ(limits[0], 1u);  // no estimate yet: one entry
  for (size_t i = 1; i < limits.size(); ++i) EXPECT_LE(limits[i], 2u) << i;
  EXPECT_EQ(telemetry_.delivered(), 60);
}

class RouteExporterStopTest : public ExporterTest {
 protected:
  // An export is in flight when Stop() comes; meanwhile two more entries were queued.
  // Returns the exporter, stopped with `mode`.
  std::unique_ptr<RouteExporter> StopDuringAnExport(StopMode mode, absl::Duration time_given);
};

std::unique_ptr<RouteExporter> RouteExporterStopTest::StopDuringAnExport(
    StopMode mode, absl::Duration time_given) {
  Once entered;
  absl::Notification release;
  std::atomic<int> calls{0};
  transport_.SetHandler([&](const HttpRequest&) {
    if (calls.fetch_add(1) == 0) {
      entered.Notify();
      release.WaitForNotificationWithTimeout(absl::Seconds(20));
    }
    return Response(200);
  });
  EXPECT_TRUE(queue_.Append("main", Batch({Observation("first")})).ok());
  auto exporter = Start(Options(MakeTarget(core::Egress::kOtlp)));
  EXPECT_TRUE(entered.Wait());
  EXPECT_TRUE(queue_.Append("main", Batch({Observation("second")})).ok());
  EXPECT_TRUE(queue_.Append("main", Batch({Observation("third")})).ok());
  std::thread stopper([&] { exporter->Stop(clock_.Now() + time_given, mode); });
  for (int i = 0; i < 20000 && !exporter->stopping(); ++i) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_TRUE(exporter->stopping());
  release.Notify();  // the first export finishes only after Stop was requested
  stopper.join();
  transport_.SetHandler([](const HttpRequest&) { return Response(200); });
  return exporter;
}

TEST_F(RouteExporterStopTest, WithDrainDeliversWhatWasQueuedDuringAnExport) {
  auto exporter = StopDuringAnExport(StopMode::kDrain, absl::Seconds(10));
  EXPECT_EQ(queue_.acked(), (std::vector<std::string>{"entry-1", "entry-2", "entry-3"}));
  EXPECT_EQ(telemetry_.delivered(), 3);
  EXPECT_EQ(queue_.Stats("main").entries, 0);
  EXPECT_EQ(exporter->in_flight(), 0u);
}

TEST_F(RouteExporterStopTest, WithoutDrainLeavesWhatWasQueuedDuringAnExport) {
  auto exporter = StopDuringAnExport(StopMode::kFinishInFlight, absl::Seconds(10));
  EXPECT_EQ(queue_.acked(), std::vector<std::string>{"entry-1"});  // the in-flight one
  EXPECT_EQ(queue_.Stats("main").entries, 2);
  EXPECT_EQ(queue_.Stats("main").pending_entries, 0);
}

TEST_F(RouteExporterStopTest, DrainEndsAtTheDeadlineWhenLangfuseRefusesAndReleasesTheRest) {
  queue_.RequeueReleased(true);  // a released entry could be read again by the drain
  ASSERT_TRUE(queue_.Append("main", Batch({Observation("a")})).ok());
  Once first_request;
  std::atomic<bool> stopped{false};
  transport_.SetHandler([&](const HttpRequest&) {
    first_request.Notify();
    for (int i = 0; i < 20000 && !stopped.load(); ++i) absl::SleepFor(absl::Milliseconds(1));
    return Response(503);
  });
  auto exporter = Start(Options(MakeTarget(core::Egress::kOtlp)));
  ASSERT_NE(exporter, nullptr);
  ASSERT_TRUE(first_request.Wait());
  const absl::Time deadline = clock_.Now() + absl::Seconds(2);
  // Stop returns: the entry released at the deadline is not read again.
  std::thread stopper([&] { exporter->Stop(deadline, StopMode::kDrain); });
  for (int i = 0; i < 20000 && !exporter->stopping(); ++i) absl::SleepFor(absl::Milliseconds(1));
  stopped.store(true);
  stopper.join();
  EXPECT_LE(clock_.Now(), deadline);
  EXPECT_LE(transport_.request_count(), 10u);  // backoff 500 ms: no busy loop
  EXPECT_EQ(queue_.released(), std::vector<std::string>{"entry-1"});
  EXPECT_TRUE(queue_.acked().empty());
  EXPECT_TRUE(queue_.dead_letters().empty());
}

TEST_F(RouteExporterTest, StopWhileIdleReleasesNothing) {
  auto exporter = Start(Options(MakeTarget(core::Egress::kOtlp)));
  ASSERT_NE(exporter, nullptr);
  exporter->Stop(clock_.Now());
  EXPECT_EQ(transport_.request_count(), 0u);
  EXPECT_TRUE(queue_.released().empty());
  // Entries appended after Stop stay queued.
  ASSERT_TRUE(queue_.Append("main", Batch({Observation("a")})).ok());
  EXPECT_EQ(queue_.Stats("main").entries, 1);
  EXPECT_EQ(queue_.Stats("main").pending_entries, 0);
}

TEST_F(RouteExporterTest, AutoEgressAsksHealthOnce) {
  auto target = MakeTarget(core::Egress::kOtlp);
  target->egress_auto = true;
  transport_.Push(Response(200, R"({"status":"OK","version":"3.10.2"})"));
  transport_.SetHandler([](const HttpRequest& request) {
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    nlohmann::json ok = {{"successes", nlohmann::json::array()},
                         {"errors", nlohmann::json::array()}};
    for (const auto& e : body["batch"])
      ok["successes"].push_back({{"id", e["id"]}, {"status", 201}});
    return Response(207, ok.dump());
  });
  ASSERT_TRUE(queue_.Append("main", Batch({Observation("a")})).ok());
  ASSERT_TRUE(queue_.Append("main", Batch({Observation("b")})).ok());
  auto options = Options(target);
  options.max_batch_events = 1;
  auto exporter = Start(options);
  ASSERT_NE(exporter, nullptr);
  ASSERT_TRUE(queue_.WaitSettled(2));
  exporter->Stop(clock_.Now());
  EXPECT_EQ(exporter->egress(), core::Egress::kLegacy);
  auto methods = transport_.methods();
  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(methods[0], "GET");
  EXPECT_TRUE(absl::EndsWith(requests[0].url, "/api/public/health"));
  EXPECT_TRUE(absl::EndsWith(requests[1].url, "/api/public/ingestion"));
  EXPECT_TRUE(absl::EndsWith(requests[2].url, "/api/public/ingestion"));
  EXPECT_EQ(telemetry_.delivered(), 2);
}

TEST_F(RouteExporterTest, AutoEgressRetriesAnUnreachableHealthEndpoint) {
  auto target = MakeTarget(core::Egress::kLegacy);
  target->egress_auto = true;
  transport_.Push(absl::UnavailableError("connection refused"));
  transport_.Push(Response(503, R"({"status":"starting"})"));
  transport_.Push(Response(200, R"({"status":"OK","version":"4.16.0"})"));
  ASSERT_TRUE(queue_.Append("main", Batch({Observation("a")})).ok());
  RunUntilSettled(Options(target), 1);
  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_TRUE(absl::EndsWith(requests[3].url, "/api/public/otel/v1/traces"));
  EXPECT_EQ(clock_.TotalSlept(), absl::Seconds(1));  // two waits of initial_backoff
}

TEST_F(RouteExporterTest, SlowRouteDoesNotBlockAnother) {
  FakeQueue slow_queue;
  FakeTransport slow_transport;
  absl::Notification slow_entered, unblock;
  slow_transport.SetHandler([&](const HttpRequest&) {
    if (!slow_entered.HasBeenNotified()) slow_entered.Notify();
    unblock.WaitForNotificationWithTimeout(absl::Seconds(20));
    return Response(200);
  });
  auto slow_target = MakeTarget(core::Egress::kOtlp);
  slow_target->name = "slow";
  auto slow_options = Options(slow_target);
  slow_options.queue = &slow_queue;
  slow_options.transport_factory = [&] {
    return std::make_unique<ForwardingTransport>(&slow_transport);
  };
  ASSERT_TRUE(slow_queue.Append("slow", Batch({Observation("s")})).ok());
  auto slow = Start(slow_options);
  ASSERT_NE(slow, nullptr);
  ASSERT_TRUE(slow_entered.WaitForNotificationWithTimeout(absl::Seconds(20)));

  ASSERT_TRUE(queue_.Append("main", Batch({Observation("a")})).ok());
  auto fast = Start(Options(MakeTarget(core::Egress::kOtlp)));
  ASSERT_NE(fast, nullptr);
  EXPECT_TRUE(queue_.WaitSettled(1));
  EXPECT_EQ(queue_.acked(), std::vector<std::string>{"entry-1"});
  EXPECT_TRUE(slow_queue.acked().empty());  // still stuck in its request

  unblock.Notify();
  EXPECT_TRUE(slow_queue.WaitSettled(1));
  EXPECT_EQ(slow_queue.acked(), std::vector<std::string>{"entry-1"});
  fast->Stop(clock_.Now());
  slow->Stop(clock_.Now());
}

TEST_F(RouteExporterTest, SeveralWorkersShareTheQueue) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(queue_.Append("main", Batch({Observation("o" + std::to_string(i))})).ok());
  }
  auto options = Options(MakeTarget(core::Egress::kOtlp));
  options.workers = 3;
  options.max_batch_events = 3;
  RunUntilSettled(options, 20);
  EXPECT_EQ(queue_.acked().size(), 20u);
  EXPECT_EQ(telemetry_.delivered(), 20);
}

TEST_F(RouteExporterTest, ClosedQueueEndsTheWorkers) {
  auto exporter = Start(Options(MakeTarget(core::Egress::kOtlp)));
  ASSERT_NE(exporter, nullptr);
  queue_.Close();
  exporter->Stop(clock_.Now() + absl::Seconds(1));  // joins: the workers saw CANCELLED
  EXPECT_EQ(transport_.request_count(), 0u);
}

TEST_F(RouteExporterTest, CreateValidatesOptions) {
  auto good = Options(MakeTarget(core::Egress::kOtlp));
  EXPECT_TRUE(RouteExporter::Create(good).ok());
  auto check = [&](auto mutate) {
    RouteExporterOptions o = good;
    mutate(o);
    return RouteExporter::Create(o).status().code();
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(check([](auto& o) { o.target = nullptr; }), kInvalid);
  EXPECT_EQ(check([](auto& o) { o.queue = nullptr; }), kInvalid);
  EXPECT_EQ(check([](auto& o) { o.transport_factory = nullptr; }), kInvalid);
  EXPECT_EQ(check([](auto& o) { o.max_batch_events = 0; }), kInvalid);
  EXPECT_EQ(check([](auto& o) { o.max_batch_bytes = 0; }), kInvalid);
  EXPECT_EQ(check([](auto& o) { o.gzip_level = 10; }), kInvalid);
  EXPECT_EQ(check([](auto& o) { o.workers = 0; }), kInvalid);
  EXPECT_EQ(check([](auto& o) { o.max_attempts = -1; }), kInvalid);
  EXPECT_EQ(check([](auto& o) { o.max_backoff = absl::Milliseconds(1); }), kInvalid);
  auto no_url = MakeTarget(core::Egress::kOtlp);
  no_url->base_url.clear();
  EXPECT_EQ(check([&](auto& o) { o.target = no_url; }), kInvalid);

  auto exporter = RouteExporter::Create(good);
  ASSERT_TRUE(exporter.ok());
  ASSERT_TRUE((*exporter)->Start().ok());
  EXPECT_EQ((*exporter)->Start().code(), absl::StatusCode::kFailedPrecondition);
  (*exporter)->Stop(clock_.Now());

  auto null_factory = good;
  null_factory.transport_factory = [] { return std::unique_ptr<HttpTransport>(); };
  auto broken = RouteExporter::Create(null_factory);
  ASSERT_TRUE(broken.ok());
  EXPECT_EQ((*broken)->Start().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace tracegate::exporter::testing
