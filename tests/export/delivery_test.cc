// How one batch reaches Langfuse: request format, retries, Retry-After, 207 verdicts, OTLP
// 400 isolation, 413 splits, dead letters. Runs a RouteExporter against fakes.
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gateway/export/gzip.h"
#include "gateway/translate/id_mapping.h"
#include "nlohmann/json.hpp"
#include "tests/export/exporter_harness.h"

namespace tracegate::exporter::testing {
namespace {

using Json = nlohmann::json;

std::string Env(const std::string& event_id) { return translate::EnvelopeId("ws", event_id); }

// The envelope ids in an /api/public/ingestion request body.
std::vector<std::string> EnvelopeIds(const HttpRequest& request) {
  std::vector<std::string> ids;
  Json body = Json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.contains("batch")) return ids;
  for (const Json& e : body["batch"]) ids.push_back(e.value("id", ""));
  return ids;
}

std::string Status207(const std::vector<std::string>& ok, const std::string& failed_id,
                      int failed_status, const std::string& message) {
  Json body = {{"successes", Json::array()}, {"errors", Json::array()}};
  for (const auto& id : ok) body["successes"].push_back({{"id", id}, {"status", 201}});
  if (!failed_id.empty()) {
    body["errors"].push_back(
        {{"id", failed_id}, {"status", failed_status}, {"message", message}, {"error", "details"}});
  }
  return body.dump();
}

using DeliveryTest = ExporterTest;

TEST_F(DeliveryTest, OtlpRequestIsGzipProtobufWithExactHeaders) {
  ASSERT_TRUE(queue_
                  .Append("main", Batch({Observation("a", "first"), Trace("t1"),
                                         Observation("b", "second")}))
                  .ok());
  auto options = Options(MakeTarget(core::Egress::kOtlp));
  options.service_version = "1.4.2";
  RunUntilSettled(options, 1);

  ASSERT_EQ(transport_.request_count(), 1u);
  HttpRequest request = transport_.requests()[0];
  EXPECT_EQ(request.url, "http://langfuse:3000/api/public/otel/v1/traces");
  HttpHeaders expected = {
      {"Authorization", "Basic " + absl::Base64Escape("pk-lf-test:sk-lf-test")},
      {"x-langfuse-sdk-name", "tracegate"},
      {"x-langfuse-sdk-version", "1.4.2"},
      {"Content-Type", "application/x-protobuf"},
      {"Content-Encoding", "gzip"},
      {"x-langfuse-ingestion-version", "4"},
  };
  EXPECT_EQ(request.headers, expected);
  bool decoded = false;
  std::vector<std::string> names = SpanNames(request, &decoded);
  ASSERT_TRUE(decoded) << "body is not gzip(ExportTraceServiceRequest)";
  EXPECT_EQ(names, (std::vector<std::string>{"first", "request", "second"}));
  EXPECT_EQ(queue_.acked(), std::vector<std::string>{"entry-1"});
  EXPECT_TRUE(queue_.dead_letters().empty());
  EXPECT_EQ(telemetry_.delivered(), 3);
  EXPECT_EQ(telemetry_.requests(), (std::map<std::string, int>{{"otel:200", 1}}));
}

TEST_F(DeliveryTest, ThreeUnavailableThenOkDeliversOnce) {
  ASSERT_TRUE(queue_.Append("main", Batch({Observation("a"), Observation("b")})).ok());
  transport_.Push(Response(503, R"({"message":"Service Unavailable"})"));
  transport_.Push(Response(503));
  transport_.Push(absl::UnavailableError("connection reset"));
  transport_.Push(Response(200));
  RunUntilSettled(Options(MakeTarget(core::Egress::kOtlp)), 1);

  EXPECT_EQ(transport_.request_count(), 4u);
  // Same body each time: a retry resends, it does not re-encode.
  auto requests = transport_.requests();
  EXPECT_EQ(requests[0].body, requests[3].body);
  EXPECT_EQ(queue_.acked(), std::vector<std::string>{"entry-1"});
  EXPECT_TRUE(queue_.released().empty());
  EXPECT_EQ(telemetry_.delivered(), 2);
  EXPECT_EQ(telemetry_.retries(), 3);
  EXPECT_EQ(telemetry_.requests(),
            (std::map<std::string, int>{{"otel:503", 2}, {"otel:0", 1}, {"otel:200", 1}}));
  // Jitter off: three waits of initial_backoff on the clock, nothing else.
  EXPECT_EQ(clock_.TotalSlept(), absl::Milliseconds(1500));
}

TEST_F(DeliveryTest, RetryAfterIsHonoured) {
  ASSERT_TRUE(queue_.Append("main", Batch({Observation("a")})).ok());
  transport_.Push(Response(429, "{}", {{"Retry-After", "7"}}));
  transport_.Push(Response(200));
  RunUntilSettled(Options(MakeTarget(core::Egress::kOtlp)), 1);
  EXPECT_EQ(transport_.request_count(), 2u);
  EXPECT_GE(clock_.TotalSlept(), absl::Seconds(7));
  EXPECT_LT(clock_.TotalSlept(), absl::Seconds(8));
  EXPECT_EQ(queue_.acked().size(), 1u);
}

TEST_F(DeliveryTest, MaxAttemptsDeadLettersWithTheLastError) {
  ASSERT_TRUE(queue_.Append("main", Batch({Observation("a")})).ok());
  transport_.SetHandler([](const HttpRequest&) { return Response(502, "bad gateway"); });
  auto options = Options(MakeTarget(core::Egress::kOtlp));
  options.max_attempts = 3;
  RunUntilSettled(options, 1);
  EXPECT_EQ(transport_.request_count(), 3u);
  auto letters = queue_.dead_letters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].route, "main");
  EXPECT_EQ(letters[0].event.event_id(), "ev-a");
  EXPECT_EQ(letters[0].reason, "gave up after 3 attempts: HTTP 502: bad gateway");
  EXPECT_EQ(queue_.acked().size(), 1u);  // dead-lettered counts as settled
  EXPECT_EQ(telemetry_.failed(), (std::map<std::string, int64_t>{{"retries_exhausted", 1}}));
}

TEST_F(DeliveryTest, Legacy207WithOne400DeadLettersOnlyThatEvent) {
  ASSERT_TRUE(queue_.Append("main", Batch({Trace("t1"), Observation("a"), Observation("b")})).ok());
  transport_.Push(Response(
      207, Status207({Env("ev-t1"), Env("ev-b")}, Env("ev-a"), 400, "Invalid request data")));
  RunUntilSettled(Options(MakeTarget(core::Egress::kLegacy)), 1);

  ASSERT_EQ(transport_.request_count(), 1u);
  HttpRequest request = transport_.requests()[0];
  EXPECT_EQ(request.url, "http://langfuse:3000/api/public/ingestion");
  EXPECT_EQ(FindHeader(request.headers, "Content-Encoding"), nullptr);
  EXPECT_EQ(EnvelopeIds(request),
            (std::vector<std::string>{Env("ev-t1"), Env("ev-a"), Env("ev-b")}));
  auto letters = queue_.dead_letters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].event.event_id(), "ev-a");
  EXPECT_EQ(letters[0].reason, "HTTP 207: event status 400: Invalid request data: details");
  EXPECT_EQ(telemetry_.delivered(), 2);
  EXPECT_EQ(telemetry_.failed(), (std::map<std::string, int64_t>{{"rejected", 1}}));
  EXPECT_EQ(queue_.acked(), std::vector<std::string>{"entry-1"});
}

TEST_F(DeliveryTest, Legacy207WithOne500ResendsOnlyThatEvent) {
  ASSERT_TRUE(queue_.Append("main", Batch({Trace("t1"), Observation("a")})).ok());
  ASSERT_TRUE(queue_.Append("main", Batch({Observation("b")})).ok());
  transport_.Push(
      Response(207, Status207({Env("ev-t1"), Env("ev-b")}, Env("ev-a"), 500, "Internal")));
  transport_.Push(Response(207, Status207({Env("ev-a")}, "", 0, "")));
  RunUntilSettled(Options(MakeTarget(core::Egress::kLegacy)), 2);

  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(EnvelopeIds(requests[0]).size(), 3u);
  EXPECT_EQ(EnvelopeIds(requests[1]), std::vector<std::string>{Env("ev-a")});
  EXPECT_TRUE(queue_.dead_letters().empty());
  EXPECT_EQ(telemetry_.delivered(), 3);
  EXPECT_EQ(telemetry_.retries(), 1);
  auto acked = queue_.acked();
  std::sort(acked.begin(), acked.end());
  EXPECT_EQ(acked, (std::vector<std::string>{"entry-1", "entry-2"}));
}

TEST_F(DeliveryTest, Unreadable207IsRetried) {
  ASSERT_TRUE(queue_.Append("main", Batch({Trace("t1")})).ok());
  transport_.Push(Response(207, "<html>oops</html>"));
  transport_.Push(Response(207, R"({"successes":"nope"})"));
  transport_.Push(Response(207, Status207({Env("ev-t1")}, "", 0, "")));
  RunUntilSettled(Options(MakeTarget(core::Egress::kLegacy)), 1);
  EXPECT_EQ(transport_.request_count(), 3u);
  EXPECT_EQ(telemetry_.delivered(), 1);
  EXPECT_TRUE(queue_.dead_letters().empty());
}

TEST_F(DeliveryTest, Otlp400IsolatesTheBadSpan) {
  v1::IngestRequest batch;
  for (int i = 0; i < 8; ++i) {
    *batch.add_events() =
        Observation("o" + std::to_string(i), i == 5 ? "bad" : "good" + std::to_string(i));
  }
  ASSERT_TRUE(queue_.Append("main", batch).ok());
  transport_.SetHandler([](const HttpRequest& request) {
    bool ok = false;
    for (const std::string& name : SpanNames(request, &ok)) {
      if (name == "bad") return Response(400, R"({"error":"Invalid span: bad"})");
    }
    return ok ? Response(200) : Response(400, R"({"error":"unreadable"})");
  });
  RunUntilSettled(Options(MakeTarget(core::Egress::kOtlp)), 1);

  // 8 → 4+4 → 2+2 → 1+1: seven exports.
  EXPECT_EQ(transport_.request_count(), 7u);
  auto letters = queue_.dead_letters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].event.event_id(), "ev-o5");
  EXPECT_EQ(letters[0].reason, "HTTP 400: Invalid span: bad");
  EXPECT_EQ(telemetry_.delivered(), 7);
  EXPECT_EQ(queue_.acked(), std::vector<std::string>{"entry-1"});
}

TEST_F(DeliveryTest, Legacy413SplitsTheBatch) {
  ASSERT_TRUE(queue_.Append("main", Batch({Trace("t1"), Trace("t2"), Trace("t3")})).ok());
  transport_.SetHandler([](const HttpRequest& request) {
    std::vector<std::string> ids = EnvelopeIds(request);
    if (ids.size() > 1) return Response(413, "Request Entity Too Large");
    return Response(207, Status207(ids, "", 0, ""));
  });
  RunUntilSettled(Options(MakeTarget(core::Egress::kLegacy)), 1);
  // 3 → 1 + 2 → 1 + 1: five requests, three of them single events.
  EXPECT_EQ(transport_.request_count(), 5u);
  EXPECT_EQ(telemetry_.delivered(), 3);
  EXPECT_TRUE(queue_.dead_letters().empty());
}

TEST_F(DeliveryTest, PermanentErrorDeadLettersTheRequest) {
  ASSERT_TRUE(queue_.Append("main", Batch({Trace("t1"), Trace("t2")})).ok());
  transport_.Push(Response(422, R"({"message":"Unprocessable"})"));
  RunUntilSettled(Options(MakeTarget(core::Egress::kLegacy)), 1);
  EXPECT_EQ(transport_.request_count(), 1u);
  auto letters = queue_.dead_letters();
  ASSERT_EQ(letters.size(), 2u);
  EXPECT_EQ(letters[0].reason, "HTTP 422: Unprocessable");
  EXPECT_EQ(letters[0].reason.find("sk-lf"), std::string::npos);
}

TEST_F(DeliveryTest, BadCredentialsHoldEventsUntilFixed) {
  ASSERT_TRUE(queue_.Append("main", Batch({Trace("t1"), Trace("t2")})).ok());
  transport_.Push(Response(401, R"({"message":"Invalid credentials"})"));
  transport_.Push(Response(403, R"({"message":"Ingestion suspended"})"));
  RunUntilSettled(Options(MakeTarget(core::Egress::kLegacy)), 1);
  EXPECT_EQ(transport_.request_count(), 3u);
  EXPECT_TRUE(queue_.dead_letters().empty());
  EXPECT_EQ(telemetry_.delivered(), 2);
}

TEST_F(DeliveryTest, ScoresGoToIngestionOnOtlpRoutes) {
  ASSERT_TRUE(queue_.Append("main", Batch({Score("s1"), Observation("a", "work")})).ok());
  transport_.SetHandler([](const HttpRequest& request) {
    if (absl::EndsWith(request.url, "/api/public/ingestion")) {
      return Response(207, Status207(EnvelopeIds(request), "", 0, ""));
    }
    return Response(200);
  });
  RunUntilSettled(Options(MakeTarget(core::Egress::kOtlp)), 1);
  auto requests = transport_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(absl::EndsWith(requests[0].url, "/api/public/otel/v1/traces"));
  EXPECT_EQ(SpanNames(requests[0]), std::vector<std::string>{"work"});
  EXPECT_TRUE(absl::EndsWith(requests[1].url, "/api/public/ingestion"));
  Json body = Json::parse(requests[1].body, nullptr, false);
  ASSERT_FALSE(body.is_discarded());
  ASSERT_EQ(body["batch"].size(), 1u);
  EXPECT_EQ(body["batch"][0]["type"], "score-create");
  // On an OTLP route the score points at the trace id Langfuse got from OTLP.
  EXPECT_EQ(body["batch"][0]["body"]["traceId"], translate::LangfuseTraceIdForOtlp("trace-1"));
  EXPECT_EQ(telemetry_.delivered(), 2);
}

TEST_F(DeliveryTest, UntranslatableEventIsDeadLetteredAndTheRestDelivered) {
  v1::TraceEvent broken = Observation("x");
  broken.mutable_observation()->clear_id();
  ASSERT_TRUE(queue_.Append("main", Batch({broken, Observation("a")})).ok());
  RunUntilSettled(Options(MakeTarget(core::Egress::kOtlp)), 1);
  auto letters = queue_.dead_letters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].event.event_id(), "ev-x");
  EXPECT_TRUE(absl::StartsWith(letters[0].reason, "translate: ")) << letters[0].reason;
  EXPECT_EQ(telemetry_.failed(), (std::map<std::string, int64_t>{{"translate", 1}}));
  EXPECT_EQ(telemetry_.delivered(), 1);
  EXPECT_EQ(queue_.acked().size(), 1u);
}

TEST_F(DeliveryTest, FailedDeadLetterKeepsTheEntryQueued) {
  queue_.FailDeadLetters(true);
  ASSERT_TRUE(queue_.Append("main", Batch({Trace("t1"), Trace("t2")})).ok());
  transport_.Push(Response(207, Status207({Env("ev-t1")}, Env("ev-t2"), 400, "bad")));
  RunUntilSettled(Options(MakeTarget(core::Egress::kLegacy)), 1);
  EXPECT_TRUE(queue_.acked().empty());
  EXPECT_EQ(queue_.released(), std::vector<std::string>{"entry-1"});
  EXPECT_EQ(telemetry_.failed().size(), 0u);
}

}  // namespace
}  // namespace tracegate::exporter::testing
