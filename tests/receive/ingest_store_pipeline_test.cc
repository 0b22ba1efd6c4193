// IngestPipeline over a core::IngestStore (how the gateway runs with Redis): one store call
// per (workspace, route), and the mapping of its answers to per-event results.
#include <memory>
#include <string>
#include <vector>

#include "gateway/core/ingest_store.h"
#include "gateway/receive/ingest_pipeline.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tracegate::receive {
namespace {

using ::testing::ElementsAre;
using tracegate::v1::EVENT_STATUS_ACCEPTED;
using tracegate::v1::EVENT_STATUS_DUPLICATE;
using tracegate::v1::EVENT_STATUS_REJECTED;

// A store that answers what the test scripts and records what it was given.
class ScriptedStore : public core::IngestStore {
 public:
  absl::StatusOr<core::IngestResult> DedupeAndAppend(absl::string_view workspace,
                                                     absl::string_view route,
                                                     tracegate::v1::IngestRequest batch) override {
    calls.push_back(std::string(workspace) + "/" + std::string(route) + ":" +
                    std::to_string(batch.events_size()));
    if (!answer.ok()) return answer.status();
    core::IngestResult r = *answer;
    if (r.fresh.empty()) r.fresh.assign(batch.events_size(), true);
    return r;
  }
  absl::StatusOr<core::IngestResult> answer = core::IngestResult{};
  std::vector<std::string> calls;
};

tracegate::v1::TraceEvent Span(const std::string& id, const std::string& ws) {
  tracegate::v1::TraceEvent e;
  e.set_event_id(id);
  e.set_workspace(ws);
  e.mutable_observation()->set_id("obs-" + id);
  return e;
}

class IngestStorePipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"alpha", "beta"}) {
      auto t = std::make_shared<core::RouteTarget>();
      t->name = std::string("route-") + name;
      routes_[name] = t;
    }
    IngestPipelineOptions o;
    o.route = [this](absl::string_view ws) -> std::shared_ptr<const core::RouteTarget> {
      auto it = routes_.find(std::string(ws));
      return it == routes_.end() ? nullptr : it->second;
    };
    o.validate = [](const tracegate::v1::TraceEvent&, absl::Time) { return absl::OkStatus(); };
    o.store = &store_;
    o.retry_after = absl::Milliseconds(1500);
    pipeline_ = *IngestPipeline::Create(std::move(o));
    principal_.any_workspace = true;
  }

  tracegate::v1::IngestResponse Run(std::vector<tracegate::v1::TraceEvent> events) {
    tracegate::v1::IngestRequest req;
    for (auto& e : events) *req.add_events() = std::move(e);
    tracegate::v1::IngestResponse resp;
    EXPECT_TRUE(pipeline_->Process(principal_, req, resp).ok());
    return resp;
  }

  std::map<std::string, std::shared_ptr<core::RouteTarget>> routes_;
  ScriptedStore store_;
  std::unique_ptr<IngestPipeline> pipeline_;
  core::Principal principal_;
};

TEST_F(IngestStorePipelineTest, OneStoreCallPerWorkspaceAndRoute) {
  auto resp = Run({Span("a1", "alpha"), Span("b1", "beta"), Span("a2", "alpha")});
  EXPECT_THAT(store_.calls, ElementsAre("alpha/route-alpha:2", "beta/route-beta:1"));
  EXPECT_EQ(resp.accepted(), 3u);
  EXPECT_EQ(resp.results(1).event_id(), "b1");
}

TEST_F(IngestStorePipelineTest, FullRouteRejectsTheNewEventsDuplicatesStayDuplicates) {
  core::IngestResult full;
  full.fresh = {false, true, true};
  full.append = absl::ResourceExhaustedError("route \"route-alpha\" queue is full");
  store_.answer = full;
  auto resp = Run({Span("old", "alpha"), Span("n1", "alpha"), Span("n2", "alpha")});
  EXPECT_EQ(resp.results(0).status(), EVENT_STATUS_DUPLICATE);
  for (int i : {1, 2}) {
    const auto& r = resp.results(i);
    EXPECT_EQ(r.status(), EVENT_STATUS_REJECTED);
    EXPECT_EQ(r.code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
    EXPECT_NE(r.reason().find("queue is full"), std::string::npos) << r.reason();
    EXPECT_EQ(r.retry_after().seconds(), 1);
    EXPECT_EQ(r.retry_after().nanos(), 500000000);
  }
  EXPECT_EQ(resp.duplicate(), 1u);
  EXPECT_EQ(resp.rejected(), 2u);
}

TEST_F(IngestStorePipelineTest, StoreDownRejectsEveryEventUnavailableWithAHint) {
  store_.answer = absl::UnavailableError("redis unreachable");
  auto resp = Run({Span("a1", "alpha"), Span("a2", "alpha")});
  for (const auto& r : resp.results()) {
    EXPECT_EQ(r.status(), EVENT_STATUS_REJECTED);
    EXPECT_EQ(r.code(), static_cast<int>(absl::StatusCode::kUnavailable));
    EXPECT_NE(r.reason().find("redis unreachable"), std::string::npos);
    EXPECT_TRUE(r.has_retry_after());
  }
}

TEST_F(IngestStorePipelineTest, AnAppendErrorOtherThanFullIsUnavailable) {
  core::IngestResult failed;
  failed.append = absl::InternalError("script error");
  store_.answer = failed;
  auto resp = Run({Span("a1", "alpha")});
  EXPECT_EQ(resp.results(0).code(), static_cast<int>(absl::StatusCode::kUnavailable));
}

TEST_F(IngestStorePipelineTest, AStoreAnsweringForTheWrongNumberOfEventsAcceptsNothing) {
  core::IngestResult wrong;
  wrong.fresh = {true};
  store_.answer = wrong;
  auto resp = Run({Span("a1", "alpha"), Span("a2", "alpha")});
  EXPECT_EQ(resp.accepted(), 0u);
  EXPECT_EQ(resp.rejected(), 2u);
  EXPECT_EQ(resp.results(1).code(), static_cast<int>(absl::StatusCode::kUnavailable));
}

TEST_F(IngestStorePipelineTest, CreateNeedsAStoreOrADeduperAndAQueue) {
  IngestPipelineOptions o;
  o.route = [](absl::string_view) { return nullptr; };
  o.validate = [](const tracegate::v1::TraceEvent&, absl::Time) { return absl::OkStatus(); };
  EXPECT_EQ(IngestPipeline::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.store = &store_;
  EXPECT_TRUE(IngestPipeline::Create(o).ok());
}

}  // namespace
}  // namespace tracegate::receive
