// BatchingClient against an in-process fake IngestService on 127.0.0.1 (port 0).
#include "tracegate/batching_client.h"

#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tracegate::client {
namespace {

using tracegate::v1::IngestRequest;
using tracegate::v1::IngestResponse;
using tracegate::v1::TraceEvent;

class FakeGateway final : public tracegate::v1::IngestService::Service {
 public:
  // Starts on 127.0.0.1:`port` (0 = any free port). Requests larger than
  // `max_request_bytes` are refused by gRPC (16 MiB: the gateway's default).
  explicit FakeGateway(int port = 0,
                       std::shared_ptr<grpc::ServerCredentials> creds =
                           grpc::InsecureServerCredentials(),
                       int max_request_bytes = 16 << 20) {
    grpc::ServerBuilder builder;
    builder.SetMaxReceiveMessageSize(max_request_bytes);
    builder.AddListeningPort(absl::StrCat("127.0.0.1:", port), creds, &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~FakeGateway() override { Stop(); }
  void Stop() {
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
    server_.reset();
  }
  int port() const { return port_; }
  std::string endpoint() const { return absl::StrCat("127.0.0.1:", port_); }

  grpc::Status Ingest(grpc::ServerContext* ctx, const IngestRequest* req,
                      IngestResponse* resp) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    request_bytes_.push_back(req->ByteSizeLong());
    app_ids_.push_back(req->app_id());
    auto md = ctx->client_metadata().find("authorization");
    if (md != ctx->client_metadata().end())
      keys_.insert(std::string(md->second.data(), md->second.size()));
    if (fail_calls_ > 0) {
      --fail_calls_;
      return grpc::Status(fail_code_, "injected");
    }
    resp->set_batch_id(req->batch_id());
    for (const TraceEvent& ev : req->events()) {
      auto* r = resp->add_results();
      r->set_event_id(ev.event_id());
      if (auto it = reject_.find(ev.event_id()); it != reject_.end()) {
        r->set_status(tracegate::v1::EVENT_STATUS_REJECTED);
        r->set_code(it->second);
        r->set_reason("observation.name: required");
      } else if (retry_once_.erase(ev.event_id()) > 0) {
        r->set_status(tracegate::v1::EVENT_STATUS_REJECTED);
        r->set_code(14);
        r->set_reason("queue unavailable");
        r->mutable_retry_after()->set_nanos(10'000'000);
      } else if (events_[ev.event_id()] = ev; received_[ev.event_id()]++ > 0) {
        r->set_status(tracegate::v1::EVENT_STATUS_DUPLICATE);
      } else {
        r->set_status(tracegate::v1::EVENT_STATUS_ACCEPTED);
      }
    }
    return grpc::Status::OK;
  }

  // Answers every request of the stream: each event ACCEPTED.
  grpc::Status IngestStream(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<IngestResponse, IngestRequest>* stream) override {
    IngestRequest req;
    while (stream->Read(&req)) {
      IngestResponse resp;
      resp.set_batch_id(req.batch_id());
      for (const TraceEvent& ev : req.events()) {
        auto* r = resp.add_results();
        r->set_event_id(ev.event_id());
        r->set_status(tracegate::v1::EVENT_STATUS_ACCEPTED);
      }
      {
        absl::MutexLock lock(&mu_);
        stream_app_ids_.push_back(req.app_id());
      }
      if (!stream->Write(resp)) break;
    }
    return grpc::Status::OK;
  }

  absl::Mutex mu_;
  std::map<std::string, int> received_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> reject_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> retry_once_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> keys_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, TraceEvent> events_ ABSL_GUARDED_BY(mu_);  // last received, by id
  std::vector<size_t> request_bytes_ ABSL_GUARDED_BY(mu_);          // of the calls answered
  std::vector<std::string> app_ids_ ABSL_GUARDED_BY(mu_);           // IngestRequest.app_id, unary
  std::vector<std::string> stream_app_ids_ ABSL_GUARDED_BY(mu_);    // the same, streamed
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_calls_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::StatusCode fail_code_ = grpc::StatusCode::UNAVAILABLE;

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

TraceEvent Span(int i) {
  TraceEvent ev;
  ev.set_event_id(absl::StrCat("e", i));
  auto* o = ev.mutable_observation();
  o->set_id(absl::StrCat("o", i));
  o->set_trace_id("t1");
  o->set_type(tracegate::v1::OBSERVATION_TYPE_SPAN);
  o->set_name("work");
  o->mutable_start_time()->set_seconds(1'700'000'000);
  return ev;
}

struct Logs {
  absl::Mutex mu;
  std::vector<std::string> lines;
  int Count(absl::string_view needle) {
    absl::MutexLock lock(&mu);
    int n = 0;
    for (const auto& l : lines) n += l.find(std::string(needle)) != std::string::npos;
    return n;
  }
};

BatchingClientOptions Options(const std::string& endpoint, Logs* logs) {
  BatchingClientOptions o;
  o.client.endpoint = endpoint;
  o.client.api_key = "tg_unit";
  o.linger = absl::Milliseconds(10);
  o.initial_backoff = absl::Milliseconds(20);
  o.max_backoff = absl::Milliseconds(200);
  o.log = [logs](absl::string_view line) {
    absl::MutexLock lock(&logs->mu);
    logs->lines.emplace_back(line);
  };
  return o;
}

int FreePort() {
  FakeGateway gw;
  return gw.port();
}

TEST(BatchingClientTest, EventsFromManyThreadsArriveOnceEach) {
  FakeGateway gw;
  Logs logs;
  auto opts = Options(gw.endpoint(), &logs);
  opts.max_queue_events = 20000;
  auto client = BatchingClient::Create(opts);
  ASSERT_TRUE(client.ok()) << client.status();
  std::vector<std::thread> threads;
  std::atomic<int> refused{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t * 2500; i < (t + 1) * 2500; ++i) refused += !(*client)->Enqueue(Span(i));
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(refused.load(), 0);
  ASSERT_TRUE((*client)->Flush(absl::Seconds(30)));
  BatchingCounters c = (*client)->counters();
  EXPECT_EQ(c.sent, 10000u);
  EXPECT_EQ(c.dropped, 0u);
  EXPECT_EQ(c.queued, 0u);
  absl::MutexLock lock(&gw.mu_);
  EXPECT_EQ(gw.received_.size(), 10000u);
  for (const auto& [id, n] : gw.received_) ASSERT_EQ(n, 1) << id;
  EXPECT_THAT(gw.keys_, testing::ElementsAre("Bearer tg_unit"));
}

TEST(BatchingClientTest, RejectedIsCountedLoggedOnceAndNotResent) {
  FakeGateway gw;
  {
    absl::MutexLock lock(&gw.mu_);
    gw.reject_ = {{"e1", 3}, {"e2", 3}};
  }
  Logs logs;
  auto client = *BatchingClient::Create(Options(gw.endpoint(), &logs));
  for (int i = 0; i < 4; ++i) client->Enqueue(Span(i));
  ASSERT_TRUE(client->Flush(absl::Seconds(10)));
  EXPECT_EQ(client->counters().rejected, 2u);
  EXPECT_EQ(client->counters().sent, 2u);
  EXPECT_EQ(logs.Count("observation.name: required"), 1);
  absl::MutexLock lock(&gw.mu_);
  EXPECT_EQ(gw.calls_, 1);
}

TEST(BatchingClientTest, RetryableRejectionAndFailedCallsResendTheSameEventIds) {
  FakeGateway gw;
  {
    absl::MutexLock lock(&gw.mu_);
    gw.retry_once_ = {"e0"};
    gw.fail_calls_ = 1;
  }
  Logs logs;
  auto client = *BatchingClient::Create(Options(gw.endpoint(), &logs));
  client->Enqueue(Span(0));
  client->Enqueue(Span(1));
  ASSERT_TRUE(client->Flush(absl::Seconds(10)));
  client->Enqueue(Span(1));  // again: DUPLICATE counts as sent
  ASSERT_TRUE(client->Flush(absl::Seconds(10)));
  BatchingCounters c = client->counters();
  EXPECT_EQ(c.sent, 3u);
  EXPECT_EQ(c.duplicate, 1u);
  EXPECT_EQ(c.retried, 3u);  // the failed call (2 events) and the retryable rejection (1)
  absl::MutexLock lock(&gw.mu_);
  EXPECT_EQ(gw.received_["e0"], 1);
  EXPECT_EQ(gw.received_["e1"], 2);
}

TEST(BatchingClientTest, GatewayDownHostUnharmedThenDeliveryResumes) {
  const int port = FreePort();
  Logs logs;
  auto opts = Options(absl::StrCat("127.0.0.1:", port), &logs);
  opts.max_queue_events = 100;
  opts.max_batch_events = 10;
  auto client = *BatchingClient::Create(opts);
  int kept = 0;
  for (int i = 0; i < 1000; ++i) kept += client->Enqueue(Span(i));
  EXPECT_FALSE(client->Flush(absl::Milliseconds(300)));
  BatchingCounters c = client->counters();
  EXPECT_EQ(c.dropped, static_cast<uint64_t>(1000 - kept));
  EXPECT_GE(kept, 100);
  EXPECT_LE(kept, 110);  // the queue plus at most one batch in flight
  EXPECT_EQ(c.sent, 0u);
  EXPECT_EQ(logs.Count("unavailable"), 1);
  EXPECT_EQ(logs.Count("queue full"), 1);

  FakeGateway gw(port);  // back on the same address
  ASSERT_EQ(gw.port(), port);
  ASSERT_TRUE(client->Flush(absl::Seconds(20)));
  EXPECT_EQ(client->counters().sent, static_cast<uint64_t>(kept));
  EXPECT_EQ(logs.Count("reachable again"), 1);
  absl::MutexLock lock(&gw.mu_);
  EXPECT_EQ(gw.received_.size(), static_cast<size_t>(kept));
}

TEST(BatchingClientTest, ShutdownFlushesWhatIsBuffered) {
  FakeGateway gw;
  Logs logs;
  auto opts = Options(gw.endpoint(), &logs);
  opts.linger = absl::Hours(1);
  opts.max_batch_events = 1000;
  auto client = *BatchingClient::Create(opts);
  for (int i = 0; i < 25; ++i) client->Enqueue(Span(i));
  client->Shutdown(absl::Seconds(10));
  EXPECT_FALSE(client->Enqueue(Span(99)));
  EXPECT_EQ(client->counters().sent, 25u);
  EXPECT_EQ(client->counters().dropped, 1u);
  absl::MutexLock lock(&gw.mu_);
  EXPECT_EQ(gw.received_.size(), 25u);
}

TEST(BatchingClientTest, ShutdownWithGatewayDownIsBoundedAndCountsDrops) {
  Logs logs;
  auto client = *BatchingClient::Create(Options(absl::StrCat("127.0.0.1:", FreePort()), &logs));
  for (int i = 0; i < 30; ++i) client->Enqueue(Span(i));
  client->Shutdown(absl::Milliseconds(300));
  EXPECT_EQ(client->counters().dropped, 30u);
  EXPECT_EQ(client->counters().queued, 0u);
}

TEST(BatchingClientTest, RefusedCallDropsTheBatchWithOneWarning) {
  FakeGateway gw;
  {
    absl::MutexLock lock(&gw.mu_);
    gw.fail_calls_ = 2;
    gw.fail_code_ = grpc::StatusCode::UNAUTHENTICATED;
  }
  Logs logs;
  auto opts = Options(gw.endpoint(), &logs);
  opts.max_batch_events = 1;
  auto client = *BatchingClient::Create(opts);
  client->Enqueue(Span(0));
  ASSERT_TRUE(client->Flush(absl::Seconds(5)));
  client->Enqueue(Span(1));
  ASSERT_TRUE(client->Flush(absl::Seconds(5)));
  EXPECT_EQ(client->counters().dropped, 2u);
  EXPECT_EQ(logs.Count("refused"), 1);
}

std::string TestFile(const std::string& name) {
  auto content = ReadFile(std::string(TESTDATA_DIR) + "/" + name);
  EXPECT_TRUE(content.ok()) << content.status();
  return content.ok() ? *content : "";
}

TEST(BatchingClientTest, MutualTlsFromEnvironment) {
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = TestFile("ca.pem");
  ssl.pem_key_cert_pairs.push_back({TestFile("server.key"), TestFile("server.pem")});
  FakeGateway gw(0, grpc::SslServerCredentials(ssl));
  const std::string dir = TESTDATA_DIR;
  setenv("TRACEGATE_ENDPOINT", gw.endpoint().c_str(), 1);
  setenv("TRACEGATE_API_KEY", "tg_env", 1);
  setenv("TRACEGATE_WORKSPACE", "ws-env", 1);
  setenv("TRACEGATE_TLS", "1", 1);
  setenv("TRACEGATE_CA_FILE", (dir + "/ca.pem").c_str(), 1);
  setenv("TRACEGATE_CERT_FILE", (dir + "/client.pem").c_str(), 1);
  setenv("TRACEGATE_KEY_FILE", (dir + "/client.key").c_str(), 1);
  BatchingClientOptions opts = BatchingClientOptions::FromEnv();
  for (const char* name :
       {"TRACEGATE_ENDPOINT", "TRACEGATE_API_KEY", "TRACEGATE_WORKSPACE", "TRACEGATE_TLS",
        "TRACEGATE_CA_FILE", "TRACEGATE_CERT_FILE", "TRACEGATE_KEY_FILE"}) {
    unsetenv(name);
  }
  EXPECT_EQ(opts.default_workspace, "ws-env");
  EXPECT_TRUE(opts.client.tls);
  Logs logs;
  opts.log = Options("", &logs).log;
  opts.linger = absl::Milliseconds(10);
  auto client = *BatchingClient::Create(opts);
  client->Enqueue(Span(1));
  ASSERT_TRUE(client->Flush(absl::Seconds(10)));

  BatchingClientOptions no_cert = opts;  // the server requires a client certificate
  no_cert.client.cert_file.clear();
  no_cert.client.key_file.clear();
  auto refused = *BatchingClient::Create(no_cert);
  refused->Enqueue(Span(2));
  EXPECT_FALSE(refused->Flush(absl::Milliseconds(500)));
  EXPECT_EQ(refused->counters().sent, 0u);
  refused->Shutdown(absl::ZeroDuration());

  absl::MutexLock lock(&gw.mu_);
  EXPECT_THAT(gw.keys_, testing::ElementsAre("Bearer tg_env"));
  EXPECT_EQ(gw.received_.size(), 1u);
  EXPECT_EQ(gw.received_.count("e1"), 1u);
}

TEST(BatchingClientTest, MissingTlsFileFailsCreate) {
  Logs logs;
  auto opts = Options("127.0.0.1:1", &logs);
  opts.client.tls = true;
  opts.client.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(BatchingClient::Create(opts).status().code(), absl::StatusCode::kNotFound);
}

TEST(BatchingClientTest, WithoutApiKeyTheClientIsDisabled) {
  Logs logs;
  auto opts = Options("127.0.0.1:1", &logs);
  opts.client.api_key.clear();
  auto client = *BatchingClient::Create(opts);
  EXPECT_FALSE(client->Enqueue(Span(0)));
  EXPECT_EQ(client->counters().dropped, 1u);
  EXPECT_TRUE(client->Flush(absl::ZeroDuration()));
  EXPECT_EQ(logs.Count("disabled"), 1);
}

TraceEvent BigSpan(int i, size_t bytes) {
  TraceEvent ev = Span(i);
  ev.mutable_observation()->set_status_message(std::string(bytes, 'x'));
  return ev;
}

TEST(BatchingClientTest, LargeEventsLeaveInRequestsCappedBySize) {
  // 20 events of 900 KB make 18 MB: more than the gateway takes in one request (16 MiB).
  FakeGateway gw;
  Logs logs;
  auto client = *BatchingClient::Create(Options(gw.endpoint(), &logs));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client->Enqueue(BigSpan(i, 900'000)));
  ASSERT_TRUE(client->Flush(absl::Seconds(30))) << client->counters().retried;
  BatchingCounters c = client->counters();
  EXPECT_EQ(c.sent, 20u);
  EXPECT_EQ(c.dropped, 0u);
  EXPECT_EQ(c.retried, 0u);
  absl::MutexLock lock(&gw.mu_);
  EXPECT_EQ(gw.received_.size(), 20u);
  EXPECT_GE(gw.request_bytes_.size(), 5u);
  for (size_t bytes : gw.request_bytes_) EXPECT_LE(bytes, BatchingClientOptions().max_batch_bytes);
}

TEST(BatchingClientTest, RequestRefusedAsTooLargeIsSplitAndAnOversizedEventDropped) {
  // max_batch_bytes above what this gateway takes (1 MB): the client must split, and drop
  // the one event that is too large on its own, instead of resending the same bytes.
  FakeGateway gw(0, grpc::InsecureServerCredentials(), 1'000'000);
  Logs logs;
  auto opts = Options(gw.endpoint(), &logs);
  opts.max_batch_bytes = 64 << 20;
  auto client = *BatchingClient::Create(opts);
  for (int i = 0; i < 10; ++i) {
    client->Enqueue(BigSpan(i, 300'000));
    if (i == 4) client->Enqueue(BigSpan(99, 1'500'000));
  }
  ASSERT_TRUE(client->Flush(absl::Seconds(30))) << client->counters().retried;
  BatchingCounters c = client->counters();
  EXPECT_EQ(c.sent, 10u);
  EXPECT_EQ(c.dropped, 1u);
  EXPECT_EQ(c.retried, 0u);
  EXPECT_EQ(logs.Count("e99 (1500"), 1);
  EXPECT_EQ(logs.Count("larger than the gateway accepts"), 1);
  absl::MutexLock lock(&gw.mu_);
  EXPECT_EQ(gw.received_.size(), 10u);
  EXPECT_EQ(gw.received_.count("e99"), 0u);
}

TEST(BatchingClientTest, InvalidUtf8IsRepairedAndTheBatchDelivered) {
  FakeGateway gw;
  Logs logs;
  auto opts = Options(gw.endpoint(), &logs);
  opts.linger = absl::Hours(1);  // the three events leave in one request
  opts.max_batch_events = 3;
  auto client = *BatchingClient::Create(opts);
  TraceEvent bad;
  bad.set_event_id("bad");
  auto* t = bad.mutable_trace();
  t->set_id("t1");
  t->set_name("caf\xC3 \xFF\xFEname");
  t->add_tags("ok");
  t->add_tags("tag\xE2\x82");
  (*t->mutable_metadata()->mutable_fields())["key\xF0"].set_string_value("value\xC0\xAF");
  auto& nested = (*t->mutable_metadata()->mutable_fields())["nested"];
  (*nested.mutable_struct_value()->mutable_fields())["in\xFF"]
      .mutable_list_value()
      ->add_values()
      ->set_string_value("x\xFF");
  client->Enqueue(Span(1));
  client->Enqueue(bad);
  client->Enqueue(Span(2));
  ASSERT_TRUE(client->Flush(absl::Seconds(10)));
  EXPECT_EQ(client->counters().sent, 3u);
  EXPECT_EQ(client->counters().dropped, 0u);
  absl::MutexLock lock(&gw.mu_);
  EXPECT_EQ(gw.calls_, 1);
  ASSERT_EQ(gw.events_.count("bad"), 1u);
  const auto& got = gw.events_["bad"].trace();
  EXPECT_EQ(got.name(), "caf\uFFFD \uFFFDname");
  EXPECT_THAT(got.tags(), testing::ElementsAre("ok", "tag\uFFFD"));
  ASSERT_EQ(got.metadata().fields().size(), 2u);
  ASSERT_EQ(got.metadata().fields().count("key\uFFFD"), 1u);
  EXPECT_EQ(got.metadata().fields().at("key\uFFFD").string_value(), "value\uFFFD");
  const auto& inner = got.metadata().fields().at("nested").struct_value().fields();
  ASSERT_EQ(inner.count("in\uFFFD"), 1u);
  EXPECT_EQ(inner.at("in\uFFFD").list_value().values(0).string_value(), "x\uFFFD");
  EXPECT_EQ(gw.received_.count("e1") + gw.received_.count("e2"), 2u);
}

TEST(BatchingClientTest, AppEnvIsStampedAndMissingEventIdsFilled) {
  FakeGateway gw;
  {
    absl::MutexLock lock(&gw.mu_);
    gw.fail_calls_ = 1;  // the ids must survive a resend
  }
  setenv("APP_ENV", " Staging ", 1);
  BatchingClientOptions opts = BatchingClientOptions::FromEnv();
  unsetenv("APP_ENV");
  EXPECT_EQ(opts.environment, " Staging ");
  Logs logs;
  BatchingClientOptions test_opts = Options(gw.endpoint(), &logs);
  test_opts.environment = opts.environment;
  test_opts.linger = absl::Hours(1);
  test_opts.max_batch_events = 4;
  auto client = *BatchingClient::Create(test_opts);
  TraceEvent trace, score, prod, observation = Span(0);
  trace.mutable_trace()->set_id("t1");
  score.mutable_score()->set_id("s1");
  prod.mutable_trace()->set_id("t2");
  prod.mutable_trace()->set_environment("prod");
  observation.clear_event_id();
  for (TraceEvent* ev : {&trace, &score, &prod, &observation}) client->Enqueue(*ev);
  ASSERT_TRUE(client->Flush(absl::Seconds(10)));
  EXPECT_EQ(client->counters().sent, 4u);
  EXPECT_EQ(client->counters().retried, 4u);
  absl::MutexLock lock(&gw.mu_);
  ASSERT_EQ(gw.events_.size(), 4u);
  std::map<std::string, std::string> env_by_entity;
  for (const auto& [id, ev] : gw.events_) {
    EXPECT_THAT(id, testing::MatchesRegex(
                        "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
    EXPECT_EQ(gw.received_[id], 1) << id;  // the resend kept the id
    if (ev.has_trace()) env_by_entity[ev.trace().id()] = ev.trace().environment();
    if (ev.has_score()) env_by_entity[ev.score().id()] = ev.score().environment();
    if (ev.has_observation()) env_by_entity[ev.observation().id()] = ev.observation().environment();
  }
  EXPECT_THAT(env_by_entity,
              testing::ElementsAre(testing::Pair("o0", "staging"), testing::Pair("s1", "staging"),
                                   testing::Pair("t1", "staging"), testing::Pair("t2", "prod")));
}

TEST(BatchingClientTest, InvalidEnvironmentIsNotStamped) {
  FakeGateway gw;
  Logs logs;
  auto opts = Options(gw.endpoint(), &logs);
  opts.environment = "langfuse-internal";
  auto client = *BatchingClient::Create(opts);
  client->Enqueue(Span(0));
  ASSERT_TRUE(client->Flush(absl::Seconds(10)));
  absl::MutexLock lock(&gw.mu_);
  EXPECT_EQ(gw.events_["e0"].observation().environment(), "");
}

TEST(BatchingClientTest, AppIdFromEnvironmentIsSentOnEveryRequest) {
  FakeGateway gw;
  setenv("TRACEGATE_APP_ID", "checkout-web", 1);
  BatchingClientOptions env_opts = BatchingClientOptions::FromEnv();
  unsetenv("TRACEGATE_APP_ID");
  EXPECT_EQ(env_opts.client.app_id, "checkout-web");
  Logs logs;
  auto opts = Options(gw.endpoint(), &logs);
  opts.client.app_id = env_opts.client.app_id;
  opts.max_batch_events = 2;
  opts.linger = absl::Hours(1);
  auto client = *BatchingClient::Create(opts);
  for (int i = 0; i < 5; ++i) client->Enqueue(Span(i));
  ASSERT_TRUE(client->Flush(absl::Seconds(10)));
  EXPECT_EQ(client->counters().sent, 5u);
  EXPECT_EQ(logs.Count("app_id"), 0);
  absl::MutexLock lock(&gw.mu_);
  EXPECT_THAT(gw.app_ids_, testing::ElementsAre("checkout-web", "checkout-web", "checkout-web"));
}

TEST(BatchingClientTest, InvalidAppIdIsLoggedOnceAndNotSent) {
  for (const std::string& bad :
       {std::string("a\nb"), std::string("x\x7f"), std::string(201, 'x')}) {
    FakeGateway gw;
    Logs logs;
    auto opts = Options(gw.endpoint(), &logs);
    opts.client.app_id = bad;
    opts.max_batch_events = 1;
    auto client = *BatchingClient::Create(opts);
    client->Enqueue(Span(0));
    client->Enqueue(Span(1));
    ASSERT_TRUE(client->Flush(absl::Seconds(10)));
    EXPECT_EQ(client->counters().sent, 2u);
    EXPECT_EQ(logs.Count("app_id"), 1) << bad;
    absl::MutexLock lock(&gw.mu_);
    EXPECT_THAT(gw.app_ids_, testing::ElementsAre("", "")) << bad;
  }
  FakeGateway gw;
  Logs logs;
  auto opts = Options(gw.endpoint(), &logs);
  opts.client.app_id = std::string(200, 'x');  // the limit itself is fine
  auto client = *BatchingClient::Create(opts);
  client->Enqueue(Span(0));
  ASSERT_TRUE(client->Flush(absl::Seconds(10)));
  absl::MutexLock lock(&gw.mu_);
  EXPECT_THAT(gw.app_ids_, testing::ElementsAre(std::string(200, 'x')));
}

TEST(ClientTest, AppIdIsStampedOnUnaryAndStreamedRequests) {
  FakeGateway gw;
  ClientOptions opts;
  opts.endpoint = gw.endpoint();
  opts.api_key = "tg_unit";
  opts.app_id = "checkout-web";
  auto client = *Client::Create(opts);
  IngestRequest plain, own;
  *plain.add_events() = Span(0);
  *own.add_events() = Span(1);
  own.set_app_id("its-own");
  ASSERT_TRUE(client->Send(plain).ok());
  ASSERT_TRUE(client->Send(own).ok());
  auto streamed = client->SendStream({plain, own});
  ASSERT_TRUE(streamed.ok()) << streamed.status();
  absl::MutexLock lock(&gw.mu_);
  EXPECT_THAT(gw.app_ids_, testing::ElementsAre("checkout-web", "its-own"));
  EXPECT_THAT(gw.stream_app_ids_, testing::ElementsAre("checkout-web", "its-own"));
}

TEST(BatchingClientTest, ClientGoingOutOfScopeDeliversWhatItBuffered) {
  FakeGateway gw;
  Logs logs;
  {
    auto opts = Options(gw.endpoint(), &logs);
    opts.linger = absl::Hours(1);  // nothing leaves before the destructor
    opts.max_batch_events = 1000;
    opts.shutdown_timeout = absl::Seconds(20);
    auto client = *BatchingClient::Create(opts);
    for (int i = 0; i < 25; ++i) ASSERT_TRUE(client->Enqueue(Span(i)));
    absl::MutexLock lock(&gw.mu_);
    EXPECT_EQ(gw.calls_, 0);
  }
  absl::MutexLock lock(&gw.mu_);
  EXPECT_EQ(gw.received_.size(), 25u);
}

}  // namespace
}  // namespace tracegate::client
