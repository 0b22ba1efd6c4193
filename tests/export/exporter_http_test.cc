// RouteExporter + CurlTransport against a local HTTP server (cpp-httplib on 127.0.0.1:0)
// playing Langfuse: the bytes on the wire decode as gzip OTLP and legacy JSON, and a 503 is
// retried over the real client. Real clock, 1 ms backoff; no timing assertions.
#include <httplib.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/synchronization/mutex.h"
#include "gateway/export/curl_transport.h"
#include "gateway/export/route_exporter.h"
#include "gateway/observability/log.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "otlpwire/otlp_trace.pb.h"
#include "tests/export/fake_queue.h"
#include "tests/export/test_util.h"

namespace tracegate::exporter::testing {
namespace {

struct Seen {
  std::string path;
  std::string authorization;
  std::string content_encoding;
  std::string body;  // as the handler got it (gzip already removed by httplib)
};

class FakeLangfuse {
 public:
  FakeLangfuse() {
    server_.Post("/api/public/otel/v1/traces",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   absl::MutexLock lock(&mu_);
                   if (otel_failures_left_ > 0) {
                     --otel_failures_left_;
                     res.status = 503;
                     res.set_content(R"({"message":"Service Unavailable"})", "application/json");
                     return;
                   }
                   // httplib (built with zlib) has already inflated the gzip body; a
                   // corrupt one would never reach this handler.
                   seen_.push_back({req.path, req.get_header_value("Authorization"),
                                    req.get_header_value("Content-Encoding"), req.body});
                   res.status = 200;
                   res.set_content("{}", "application/json");
                 });
    server_.Post("/api/public/ingestion",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   absl::MutexLock lock(&mu_);
                   seen_.push_back({req.path, req.get_header_value("Authorization"),
                                    req.get_header_value("Content-Encoding"), req.body});
                   nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
                   nlohmann::json out = {{"successes", nlohmann::json::array()},
                                         {"errors", nlohmann::json::array()}};
                   if (!body.is_discarded()) {
                     for (const auto& e : body["batch"]) {
                       out["successes"].push_back({{"id", e["id"]}, {"status", 201}});
                     }
                   }
                   res.status = 207;
                   res.set_content(out.dump(), "application/json");
                 });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeLangfuse() {
    server_.stop();
    thread_.join();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void FailOtel(int n) {
    absl::MutexLock lock(&mu_);
    otel_failures_left_ = n;
  }
  std::vector<Seen> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
  absl::Mutex mu_;
  int otel_failures_left_ = 0;
  std::vector<Seen> seen_;
};

TEST(ExporterHttpTest, DeliversOverTheWire) {
  log::SetLevel(log::Level::kError);
  FakeLangfuse langfuse;
  langfuse.FailOtel(1);
  FakeQueue queue;
  ASSERT_TRUE(queue.Append("main", Batch({Observation("a", "work"), Score("s1")})).ok());

  auto target = MakeTarget(core::Egress::kOtlp);
  target->base_url = langfuse.base_url();
  RecordingTelemetry telemetry;
  RouteExporterOptions options;
  options.target = target;
  options.queue = &queue;
  options.transport_factory = CurlTransport::Factory(CurlTransportOptions{});
  options.telemetry = &telemetry;
  options.linger = absl::Milliseconds(5);
  options.initial_backoff = absl::Milliseconds(1);
  options.max_backoff = absl::Milliseconds(2);
  auto exporter = RouteExporter::Create(options);
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  ASSERT_TRUE((*exporter)->Start().ok());
  ASSERT_TRUE(queue.WaitSettled(1));
  (*exporter)->Stop(absl::Now() + absl::Seconds(5));
  log::SetLevel(log::Level::kInfo);

  EXPECT_EQ(queue.acked(), std::vector<std::string>{"entry-1"});
  EXPECT_EQ(telemetry.delivered(), 2);
  EXPECT_EQ(telemetry.retries(), 1);
  std::vector<Seen> seen = langfuse.seen();
  ASSERT_EQ(seen.size(), 2u);
  const std::string auth = "Basic " + absl::Base64Escape("pk-lf-test:sk-lf-test");
  EXPECT_EQ(seen[0].path, "/api/public/otel/v1/traces");
  EXPECT_EQ(seen[0].authorization, auth);
  EXPECT_EQ(seen[0].content_encoding, "gzip");
  otlpwire::ExportTraceServiceRequest otlp;
  ASSERT_TRUE(otlp.ParseFromString(seen[0].body));
  ASSERT_EQ(otlp.resource_spans_size(), 1);
  ASSERT_EQ(otlp.resource_spans(0).scope_spans(0).spans_size(), 1);
  EXPECT_EQ(otlp.resource_spans(0).scope_spans(0).spans(0).name(), "work");
  EXPECT_EQ(seen[1].path, "/api/public/ingestion");
  EXPECT_EQ(seen[1].authorization, auth);
  EXPECT_EQ(seen[1].content_encoding, "");
  nlohmann::json legacy = nlohmann::json::parse(seen[1].body, nullptr, false);
  ASSERT_FALSE(legacy.is_discarded());
  EXPECT_EQ(legacy["batch"][0]["type"], "score-create");
}

}  // namespace
}  // namespace tracegate::exporter::testing
