#include "gateway/receive/ingest_pipeline.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/dedupe/memory_deduper.h"
#include "gateway/queue/memory_queue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tracegate::receive {
namespace {

using tracegate::v1::EVENT_STATUS_ACCEPTED;
using tracegate::v1::EVENT_STATUS_DUPLICATE;
using tracegate::v1::EVENT_STATUS_REJECTED;

// A deduper whose store can be "down".
class FlakyDeduper : public core::Deduper {
 public:
  absl::StatusOr<std::vector<bool>> MarkNew(absl::string_view ws,
                                            absl::Span<const absl::string_view> ids) override {
    if (down) return absl::UnavailableError("redis down");
    return inner.MarkNew(ws, ids);
  }
  void Forget(absl::string_view ws, absl::Span<const absl::string_view> ids) override {
    forgotten += ids.size();
    inner.Forget(ws, ids);
  }
  bool down = false;
  size_t forgotten = 0;
  dedupe::MemoryDeduper inner{dedupe::MemoryDeduperOptions{}};
};

class RecordingTelemetry : public core::Telemetry {
 public:
  void OnEvents(absl::string_view ws, core::EventOutcome o, int64_t n,
                absl::string_view reason) override {
    if (o == core::EventOutcome::kAccepted) accepted += n;
    if (o == core::EventOutcome::kRejected) rejected += n;
    if (o == core::EventOutcome::kDuplicate) duplicate += n;
  }
  int64_t accepted = 0, rejected = 0, duplicate = 0;
};

tracegate::v1::TraceEvent Span(const std::string& id, const std::string& ws = "") {
  tracegate::v1::TraceEvent e;
  e.set_event_id(id);
  e.set_workspace(ws);
  e.mutable_observation()->set_id("obs-" + id);
  return e;
}

class IngestPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"alpha", "beta"}) {
      auto t = std::make_shared<core::RouteTarget>();
      t->name = name;
      routes_[name] = t;
    }
    queue::MemoryQueueOptions qo;
    qo.max_events_per_route = 5;
    queue_ = std::make_unique<queue::MemoryQueue>(qo);
    IngestPipelineOptions o;
    o.route = [this](absl::string_view ws) -> std::shared_ptr<const core::RouteTarget> {
      auto it = routes_.find(std::string(ws));
      return it == routes_.end() ? nullptr : it->second;
    };
    o.validate = [](const tracegate::v1::TraceEvent& e, absl::Time) {
      if (e.observation().name() == "bad") {
        return absl::InvalidArgumentError("observation.name: bad on purpose");
      }
      return absl::OkStatus();
    };
    o.deduper = &deduper_;
    o.queue = queue_.get();
    o.telemetry = &telemetry_;
    o.clock = &clock_;
    o.max_events_per_batch = 10;
    pipeline_ = *IngestPipeline::Create(std::move(o));
    principal_.key_name = "test";
    principal_.workspaces = {"alpha", "beta", "ghost"};
  }

  tracegate::v1::IngestResponse Run(tracegate::v1::IngestRequest req,
                                    absl::Status* call = nullptr) {
    tracegate::v1::IngestResponse resp;
    absl::Status st = pipeline_->Process(principal_, req, resp);
    if (call) *call = st;
    else EXPECT_TRUE(st.ok()) << st;
    return resp;
  }

  std::map<std::string, std::shared_ptr<core::RouteTarget>> routes_;
  FlakyDeduper deduper_;
  RecordingTelemetry telemetry_;
  core::FakeClock clock_;
  std::unique_ptr<queue::MemoryQueue> queue_;
  std::unique_ptr<IngestPipeline> pipeline_;
  core::Principal principal_;
};

TEST_F(IngestPipelineTest, OneResultPerEventBadOnesRejectedAlone) {
  tracegate::v1::IngestRequest req;
  req.set_default_workspace("alpha");
  req.set_batch_id(77);
  *req.add_events() = Span("ok1");
  auto bad = Span("bad1");
  bad.mutable_observation()->set_name("bad");
  *req.add_events() = bad;
  *req.add_events() = Span("ok2");
  auto resp = Run(req);
  ASSERT_EQ(resp.results_size(), 3);
  EXPECT_EQ(resp.batch_id(), 77u);
  EXPECT_EQ(resp.results(0).status(), EVENT_STATUS_ACCEPTED);
  EXPECT_EQ(resp.results(1).status(), EVENT_STATUS_REJECTED);
  EXPECT_EQ(resp.results(1).code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(resp.results(1).reason(), "observation.name: bad on purpose");
  EXPECT_EQ(resp.results(1).event_id(), "bad1");
  EXPECT_EQ(resp.results(2).status(), EVENT_STATUS_ACCEPTED);
  EXPECT_EQ(resp.accepted(), 2u);
  EXPECT_EQ(resp.rejected(), 1u);
  // One queue entry holds both accepted events, stamped with workspace and timestamp.
  auto entries = queue_->Read("alpha", 10, absl::ZeroDuration());
  ASSERT_EQ(entries->size(), 1u);
  const auto& batch = (*entries)[0].batch;
  ASSERT_EQ(batch.events_size(), 2);
  EXPECT_EQ(batch.events(0).workspace(), "alpha");
  EXPECT_TRUE(batch.events(0).has_timestamp());
  EXPECT_EQ(telemetry_.accepted, 2);
  EXPECT_EQ(telemetry_.rejected, 1);
}

TEST_F(IngestPipelineTest, DuplicatesInsideAndAcrossBatches) {
  tracegate::v1::IngestRequest req;
  req.set_default_workspace("alpha");
  *req.add_events() = Span("a");
  *req.add_events() = Span("a");
  auto first = Run(req);
  EXPECT_EQ(first.results(0).status(), EVENT_STATUS_ACCEPTED);
  EXPECT_EQ(first.results(1).status(), EVENT_STATUS_DUPLICATE);
  auto second = Run(req);
  EXPECT_EQ(second.results(0).status(), EVENT_STATUS_DUPLICATE);
  EXPECT_EQ(second.duplicate(), 2u);
  EXPECT_EQ(queue_->Stats("alpha").events, 1);
}

TEST_F(IngestPipelineTest, WorkspaceRulesPermissionUnknownMissing) {
  tracegate::v1::IngestRequest req;
  *req.add_events() = Span("1", "alpha");
  *req.add_events() = Span("2", "secret-team");
  *req.add_events() = Span("3", "ghost");  // allowed by the key, but no route
  *req.add_events() = Span("4", "");       // no default_workspace either
  auto resp = Run(req);
  EXPECT_EQ(resp.results(0).status(), EVENT_STATUS_ACCEPTED);
  EXPECT_EQ(resp.results(1).code(), static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(resp.results(1).reason(), ::testing::HasSubstr("secret-team"));
  EXPECT_EQ(resp.results(2).code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_THAT(resp.results(2).reason(), ::testing::HasSubstr("unknown workspace"));
  EXPECT_EQ(resp.results(3).code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(resp.results(3).reason(), ::testing::HasSubstr("workspace: required"));
}

TEST_F(IngestPipelineTest, KeyThatMayWriteNothingFailsTheCall) {
  tracegate::v1::IngestRequest req;
  *req.add_events() = Span("1", "secret-team");
  absl::Status call;
  auto resp = Run(req, &call);
  EXPECT_EQ(call.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(resp.results_size(), 0);
  EXPECT_EQ(queue_->Stats("alpha").events, 0);
}

TEST_F(IngestPipelineTest, TooLargeBatchIsInvalidArgument) {
  tracegate::v1::IngestRequest req;
  req.set_default_workspace("alpha");
  for (int i = 0; i < 11; ++i) *req.add_events() = Span(std::to_string(i));
  absl::Status call;
  Run(req, &call);
  EXPECT_EQ(call.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(call.message()), ::testing::HasSubstr("limit is 10"));
}

TEST_F(IngestPipelineTest, DedupeDownRejectsUnavailableWithRetryHint) {
  deduper_.down = true;
  tracegate::v1::IngestRequest req;
  req.set_default_workspace("alpha");
  *req.add_events() = Span("a");
  auto resp = Run(req);
  EXPECT_EQ(resp.results(0).code(), static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_GT(resp.results(0).retry_after().seconds(), 0);
  EXPECT_EQ(queue_->Stats("alpha").events, 0);
}

TEST_F(IngestPipelineTest, FullQueueRejectsThatRouteOnlyAndForgetsIds) {
  tracegate::v1::IngestRequest fill;
  fill.set_default_workspace("alpha");
  for (int i = 0; i < 5; ++i) *fill.add_events() = Span("f" + std::to_string(i));
  ASSERT_EQ(Run(fill).accepted(), 5u);

  tracegate::v1::IngestRequest req;
  *req.add_events() = Span("x", "alpha");
  *req.add_events() = Span("y", "beta");
  auto resp = Run(req);
  EXPECT_EQ(resp.results(0).code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_GT(resp.results(0).retry_after().seconds(), 0);
  EXPECT_EQ(resp.results(1).status(), EVENT_STATUS_ACCEPTED);
  EXPECT_EQ(deduper_.forgotten, 1u);
  // Once there is room, the same event is accepted (not a duplicate).
  auto entries = queue_->Read("alpha", 10, absl::ZeroDuration());
  std::vector<std::string> ids;
  for (auto& e : *entries) ids.push_back(e.id);
  ASSERT_TRUE(queue_->Ack("alpha", ids).ok());
  tracegate::v1::IngestRequest retry;
  *retry.add_events() = Span("x", "alpha");
  EXPECT_EQ(Run(retry).results(0).status(), EVENT_STATUS_ACCEPTED);
}

TEST_F(IngestPipelineTest, PolicyRewritesDropsOrRejects) {
  IngestPipelineOptions o;
  o.route = [this](absl::string_view ws) -> std::shared_ptr<const core::RouteTarget> {
    return routes_["alpha"];
  };
  o.validate = [](const tracegate::v1::TraceEvent&, absl::Time) { return absl::OkStatus(); };
  o.policy = [](tracegate::v1::TraceEvent& e, const core::RouteTarget& route,
                const RequestContext& request) -> absl::StatusOr<bool> {
    if (e.event_id() == "drop") return false;
    if (e.event_id() == "refuse") return absl::InvalidArgumentError("policy: refused");
    e.mutable_observation()->set_name(absl::StrCat("rewritten-for-", route.name, "/",
                                                   request.request_id, "/", request.app_id));
    return true;
  };
  o.deduper = &deduper_;
  o.queue = queue_.get();
  auto pipeline = *IngestPipeline::Create(std::move(o));
  tracegate::v1::IngestRequest req;
  req.set_default_workspace("alpha");
  req.set_request_id("req-7");
  req.set_app_id("app-3");
  *req.add_events() = Span("keep");
  *req.add_events() = Span("drop");
  *req.add_events() = Span("refuse");
  tracegate::v1::IngestResponse resp;
  ASSERT_TRUE(pipeline->Process(principal_, req, resp).ok());
  EXPECT_EQ(resp.results(0).status(), EVENT_STATUS_ACCEPTED);
  EXPECT_EQ(resp.results(1).status(), EVENT_STATUS_ACCEPTED);
  EXPECT_EQ(resp.results(2).status(), EVENT_STATUS_REJECTED);
  EXPECT_EQ(resp.results(2).reason(), "policy: refused");
  auto entries = queue_->Read("alpha", 10, absl::ZeroDuration());
  ASSERT_EQ(entries->size(), 1u);
  ASSERT_EQ((*entries)[0].batch.events_size(), 1);
  EXPECT_EQ((*entries)[0].batch.events(0).observation().name(), "rewritten-for-alpha/req-7/app-3");
}

}  // namespace
}  // namespace tracegate::receive
