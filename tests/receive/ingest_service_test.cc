// The gRPC service over a real server on 127.0.0.1:0: authentication, unary and stream.
#include "gateway/receive/ingest_service.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <set>

#include "gateway/dedupe/memory_deduper.h"
#include "gateway/queue/memory_queue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tracegate::receive {
namespace {

class IngestServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    route_ = std::make_shared<core::RouteTarget>();
    route_->name = "default";
    IngestPipelineOptions o;
    o.route = [this](absl::string_view) { return route_; };
    o.validate = [](const tracegate::v1::TraceEvent&, absl::Time) { return absl::OkStatus(); };
    o.deduper = &deduper_;
    o.queue = &queue_;
    pipeline_ = *IngestPipeline::Create(std::move(o));
    pool_ = std::make_unique<WorkerPool>(2, 100);
    IngestServiceOptions so;
    so.authenticate = [](absl::string_view auth)
        -> absl::StatusOr<std::shared_ptr<const core::Principal>> {
      if (auth != "Bearer good-key") return absl::UnauthenticatedError("unknown API key");
      auto p = std::make_shared<core::Principal>();
      p->key_name = "k";
      p->workspaces = {"ws"};
      return p;
    };
    so.pipeline = pipeline_.get();
    so.pool = pool_.get();
    so.max_in_flight_per_stream = 2;
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

  static tracegate::v1::IngestRequest Batch(uint64_t id, int n, const std::string& ws = "ws") {
    tracegate::v1::IngestRequest r;
    r.set_batch_id(id);
    r.set_default_workspace(ws);
    for (int i = 0; i < n; ++i) {
      r.add_events()->set_event_id("b" + std::to_string(id) + "-" + std::to_string(i));
    }
    return r;
  }

  std::shared_ptr<core::RouteTarget> route_;
  dedupe::MemoryDeduper deduper_{dedupe::MemoryDeduperOptions{}};
  queue::MemoryQueue queue_{queue::MemoryQueueOptions{}};
  std::unique_ptr<IngestPipeline> pipeline_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<IngestService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<tracegate::v1::IngestService::Stub> stub_;
  int port_ = 0;
};

TEST_F(IngestServiceTest, UnaryWithoutKeyIsUnauthenticated) {
  grpc::ClientContext ctx;
  tracegate::v1::IngestResponse resp;
  grpc::Status st = stub_->Ingest(&ctx, Batch(1, 1), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(queue_.Stats("default").events, 0);
}

TEST_F(IngestServiceTest, UnaryWrongKeyIsUnauthenticatedAndNotEchoed) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer wrong-key-123");
  tracegate::v1::IngestResponse resp;
  grpc::Status st = stub_->Ingest(&ctx, Batch(1, 1), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(st.error_message().find("wrong-key-123"), std::string::npos);
}

TEST_F(IngestServiceTest, UnaryOtherWorkspaceIsPermissionDenied) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer good-key");
  tracegate::v1::IngestResponse resp;
  grpc::Status st = stub_->Ingest(&ctx, Batch(1, 2, "not-mine"), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(queue_.Stats("default").events, 0);
}

TEST_F(IngestServiceTest, UnaryAcceptsAndQueues) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer good-key");
  tracegate::v1::IngestResponse resp;
  grpc::Status st = stub_->Ingest(&ctx, Batch(9, 3), &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.batch_id(), 9u);
  EXPECT_EQ(resp.accepted(), 3u);
  EXPECT_EQ(queue_.Stats("default").events, 3);
}

TEST_F(IngestServiceTest, StreamAnswersEveryBatchOnce) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer good-key");
  auto stream = stub_->IngestStream(&ctx);
  constexpr int kBatches = 20;
  for (int i = 1; i <= kBatches; ++i) ASSERT_TRUE(stream->Write(Batch(i, 5)));
  stream->WritesDone();
  std::set<uint64_t> seen;
  tracegate::v1::IngestResponse resp;
  while (stream->Read(&resp)) {
    EXPECT_TRUE(seen.insert(resp.batch_id()).second) << "answered twice: " << resp.batch_id();
    EXPECT_EQ(resp.accepted(), 5u);
  }
  grpc::Status st = stream->Finish();
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kBatches));
  EXPECT_EQ(queue_.Stats("default").events, kBatches * 5);
}

TEST_F(IngestServiceTest, StreamWithoutKeyIsUnauthenticated) {
  grpc::ClientContext ctx;
  auto stream = stub_->IngestStream(&ctx);
  stream->Write(Batch(1, 1));
  stream->WritesDone();
  tracegate::v1::IngestResponse resp;
  EXPECT_FALSE(stream->Read(&resp));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(IngestServiceTest, StreamPermissionProblemIsPerEventAndStreamContinues) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer good-key");
  auto stream = stub_->IngestStream(&ctx);
  ASSERT_TRUE(stream->Write(Batch(1, 2, "not-mine")));
  tracegate::v1::IngestResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  EXPECT_EQ(resp.rejected(), 2u);
  EXPECT_EQ(resp.results(0).code(), static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
  ASSERT_TRUE(stream->Write(Batch(2, 1)));
  ASSERT_TRUE(stream->Read(&resp));
  EXPECT_EQ(resp.accepted(), 1u);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(IngestServiceTest, DrainEndsOpenStreamsWithUnavailableAndRefusesNewCalls) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer good-key");
  auto stream = stub_->IngestStream(&ctx);
  ASSERT_TRUE(stream->Write(Batch(1, 1)));
  tracegate::v1::IngestResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  service_->BeginDrain();
  EXPECT_FALSE(stream->Read(&resp));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);

  grpc::ClientContext ctx2;
  ctx2.AddMetadata("authorization", "Bearer good-key");
  grpc::Status st = stub_->Ingest(&ctx2, Batch(2, 1), &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace tracegate::receive
