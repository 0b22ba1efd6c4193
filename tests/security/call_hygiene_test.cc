// gRPC call hygiene of the ingest service: a call whose deadline passed while it waited for a
// worker is not processed (nothing queued), and "x-request-id" reaches the log lines about
// the call. The worker pool is held busy by the test, so no timing is asserted.
#include <grpcpp/grpcpp.h>

#include "absl/synchronization/notification.h"
#include "gateway/dedupe/memory_deduper.h"
#include "gateway/observability/log.h"
#include "gateway/queue/memory_queue.h"
#include "gateway/receive/ingest_service.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tracegate::receive {
namespace {

using ::testing::HasSubstr;

class CallHygieneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    route_ = std::make_shared<core::RouteTarget>();
    route_->name = "r";
    IngestPipelineOptions o;
    o.route = [this](absl::string_view) { return route_; };
    o.validate = [](const tracegate::v1::TraceEvent&, absl::Time) { return absl::OkStatus(); };
    o.policy = [this](tracegate::v1::TraceEvent&, const core::RouteTarget&,
                      const RequestContext& request) -> absl::StatusOr<bool> {
      absl::MutexLock lock(&mu_);
      seen_request_ids_.emplace_back(request.request_id);
      return true;
    };
    o.deduper = &deduper_;
    o.queue = &queue_;
    pipeline_ = *IngestPipeline::Create(std::move(o));
    pool_ = std::make_unique<WorkerPool>(1, 100);
    IngestServiceOptions so;
    so.authenticate =
        [](absl::string_view auth) -> absl::StatusOr<std::shared_ptr<const core::Principal>> {
      if (auth != "Bearer good") return absl::UnauthenticatedError("unknown API key");
      auto p = std::make_shared<core::Principal>();
      p->key_name = "k";
      p->any_workspace = true;
      return p;
    };
    so.pipeline = pipeline_.get();
    so.pool = pool_.get();
    service_ = std::make_unique<IngestService>(so);
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(service_.get());
    server_ = b.BuildAndStart();
    ASSERT_NE(port_, 0);
    stub_ = tracegate::v1::IngestService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    service_->BeginDrain();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    pool_->Stop();
  }

  static tracegate::v1::IngestRequest Batch(const std::string& id) {
    tracegate::v1::IngestRequest r;
    r.set_default_workspace("ws");
    r.add_events()->set_event_id(id);
    return r;
  }

  std::shared_ptr<core::RouteTarget> route_;
  absl::Mutex mu_;
  std::vector<std::string> seen_request_ids_ ABSL_GUARDED_BY(mu_);
  dedupe::MemoryDeduper deduper_{dedupe::MemoryDeduperOptions{}};
  queue::MemoryQueue queue_{queue::MemoryQueueOptions{}};
  std::unique_ptr<IngestPipeline> pipeline_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<IngestService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<tracegate::v1::IngestService::Stub> stub_;
  int port_ = 0;
};

TEST_F(CallHygieneTest, CallWhoseDeadlinePassedInTheQueueIsNotProcessed) {
  absl::Notification release, ran;
  ASSERT_TRUE(pool_->Submit([&] {
    release.WaitForNotification();
    ran.Notify();
  }));
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer good");
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  tracegate::v1::IngestResponse resp;
  grpc::Status st = stub_->Ingest(&ctx, Batch("late"), &resp);  // waits behind the busy worker
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // The server's copy of the deadline (arrival + grpc-timeout) lies a little after the
  // client's; give it ample time to pass before the worker picks the call up.
  absl::SleepFor(absl::Seconds(1));
  release.Notify();
  ran.WaitForNotification();
  pool_->Stop();  // runs the queued call (which must see its deadline) and joins
  EXPECT_EQ(queue_.Stats("r").events, 0);
}

TEST_F(CallHygieneTest, CallWithTimeLeftIsProcessed) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer good");
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  tracegate::v1::IngestResponse resp;
  ASSERT_TRUE(stub_->Ingest(&ctx, Batch("in-time"), &resp).ok());
  EXPECT_EQ(resp.accepted(), 1u);
  EXPECT_EQ(queue_.Stats("r").events, 1);
}

TEST_F(CallHygieneTest, RequestIdHeaderBecomesTheRequestIdOfRequestsWithout) {
  auto call = [&](const std::string& header, const std::string& in_body, const std::string& id) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer good");
    if (!header.empty()) ctx.AddMetadata("x-request-id", header);
    tracegate::v1::IngestRequest req = Batch(id);
    req.set_request_id(in_body);
    tracegate::v1::IngestResponse resp;
    ASSERT_TRUE(stub_->Ingest(&ctx, req, &resp).ok());
  };
  call("req-header-1", "", "r1");
  call("req-header-2", "from-body", "r2");  // the request's own id wins
  call(std::string(200, 'x'), "", "r3");    // too long: ignored
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer good");
    ctx.AddMetadata("x-request-id", "req-stream");
    auto stream = stub_->IngestStream(&ctx);
    tracegate::v1::IngestResponse resp;
    ASSERT_TRUE(stream->Write(Batch("r4")));
    ASSERT_TRUE(stream->Read(&resp));
    stream->WritesDone();
    ASSERT_TRUE(stream->Finish().ok());
  }
  absl::MutexLock lock(&mu_);
  EXPECT_THAT(seen_request_ids_,
              ::testing::ElementsAre("req-header-1", "from-body", "", "req-stream"));
}

TEST_F(CallHygieneTest, RequestIdIsCarriedIntoTheLog) {
  log::SetLevel(log::Level::kDebug);
  ::testing::internal::CaptureStderr();
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer tg_not_a_real_key_123456");
  ctx.AddMetadata("x-request-id", "req-7f3a");
  tracegate::v1::IngestResponse resp;
  grpc::Status st = stub_->Ingest(&ctx, Batch("x"), &resp);
  const std::string logs = ::testing::internal::GetCapturedStderr();
  log::SetLevel(log::Level::kInfo);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(logs, HasSubstr("\"request_id\":\"req-7f3a\""));
  EXPECT_THAT(logs, HasSubstr("\"code\":\"UNAUTHENTICATED\""));
  EXPECT_THAT(logs, ::testing::Not(HasSubstr("tg_not_a_real_key_123456")));
}

}  // namespace
}  // namespace tracegate::receive
