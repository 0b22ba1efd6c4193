// The pipeline with real privacy policies looked up by (route, workspace), as
// server/gateway.cc wires them: two workspaces on one "*" route get different capture
// modes and sample rates, and sampled-out Trace events are counted per workspace.
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/config/loader.h"
#include "gateway/dedupe/memory_deduper.h"
#include "gateway/privacy/policy_set.h"
#include "gateway/queue/memory_queue.h"
#include "gateway/receive/ingest_pipeline.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tracegate::receive {
namespace {

using tracegate::v1::EVENT_STATUS_ACCEPTED;

constexpr char kConfig[] = R"yaml(
api_keys:
  - name: dev
    sha256: 9b69277e30ddf0fac845e060fe8f2133ce6d98f7e60b79168371b178f426a89c
    workspaces: ["*"]
routes:
  - name: main
    workspaces: ["*"]
    langfuse: {base_url: "http://lf:3000", public_key: pk, secret_key: sk}
    privacy: {hmac_secret: route-secret-0123456789, capture: mask}
    workspace_privacy:
      team-a: {capture: full, sample_rate: 1}
      team-b: {capture: drop, sample_rate: 0.3}
)yaml";

constexpr char kPlanted[] = "mail ann@example.com the invoice";

class SampledTraceTelemetry : public core::Telemetry {
 public:
  void OnEvents(absl::string_view ws, core::EventOutcome o, int64_t n,
                absl::string_view reason) override {
    if (o == core::EventOutcome::kAccepted && reason == "sampled") {
      sampled_events[std::string(ws)] += n;
    }
  }
  void OnTracesSampledOut(absl::string_view ws, int64_t n) override {
    sampled_traces[std::string(ws)] += n;
  }
  std::map<std::string, int64_t> sampled_events;
  std::map<std::string, int64_t> sampled_traces;
};

TEST(IngestPipelinePrivacyTest, WorkspacesOnOneRouteGetTheirOwnCaptureAndSampling) {
  auto config = config::ParseConfigYaml(
      kConfig, [](const std::string&) { return std::optional<std::string>(); });
  ASSERT_TRUE(config.ok()) << config.status();
  auto policies = privacy::PolicySet::Create(*config);
  ASSERT_TRUE(policies.ok()) << policies.status();
  std::shared_ptr<const privacy::PolicySet> set = *std::move(policies);

  auto main_route = std::make_shared<core::RouteTarget>();
  main_route->name = "main";
  dedupe::MemoryDeduper deduper{dedupe::MemoryDeduperOptions{}};
  queue::MemoryQueue queue{queue::MemoryQueueOptions{}};
  SampledTraceTelemetry telemetry;
  IngestPipelineOptions o;
  o.route = [&](absl::string_view) -> std::shared_ptr<const core::RouteTarget> {
    return main_route;
  };
  o.validate = [](const tracegate::v1::TraceEvent&, absl::Time) { return absl::OkStatus(); };
  o.policy = [set](tracegate::v1::TraceEvent& ev, const core::RouteTarget& route,
                   const RequestContext& request) -> absl::StatusOr<bool> {
    const privacy::Policy* policy = set->Find(route.name, ev.workspace());
    if (policy == nullptr) return true;
    return policy->Apply(ev, privacy::RequestInfo{request.request_id, request.app_id});
  };
  o.deduper = &deduper;
  o.queue = &queue;
  o.telemetry = &telemetry;
  auto pipeline = IngestPipeline::Create(std::move(o));
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();

  // Per workspace: kTraces traces, each a Trace event and one observation of it.
  constexpr int kTraces = 1000;
  tracegate::v1::IngestRequest req;
  for (const char* ws : {"team-a", "team-b"}) {
    for (int i = 0; i < kTraces; ++i) {
      const std::string trace_id = absl::StrCat(ws, "-trace-", i);
      tracegate::v1::TraceEvent* t = req.add_events();
      t->set_event_id(absl::StrCat(trace_id, "-t"));
      t->set_workspace(ws);
      t->mutable_trace()->set_id(trace_id);
      t->mutable_trace()->mutable_input()->set_text(kPlanted);
      tracegate::v1::TraceEvent* s = req.add_events();
      s->set_event_id(absl::StrCat(trace_id, "-s"));
      s->set_workspace(ws);
      s->mutable_observation()->set_id(absl::StrCat(trace_id, "-span"));
      s->mutable_observation()->set_trace_id(trace_id);
      s->mutable_observation()->mutable_output()->set_text(kPlanted);
    }
  }
  core::Principal principal;
  principal.key_name = "test";
  principal.workspaces = {"team-a", "team-b"};
  tracegate::v1::IngestResponse resp;
  ASSERT_TRUE((*pipeline)->Process(principal, req, resp).ok());
  ASSERT_EQ(resp.results_size(), 4 * kTraces);
  for (const auto& r : resp.results()) EXPECT_EQ(r.status(), EVENT_STATUS_ACCEPTED) << r.reason();

  // What was queued, per workspace: trace ids of Trace events and of observations.
  std::map<std::string, std::set<std::string>> traces, spans;
  int queued = 0;
  while (true) {
    auto entries = queue.Read("main", 100, absl::ZeroDuration());
    ASSERT_TRUE(entries.ok()) << entries.status();
    if (entries->empty()) break;
    for (const core::QueueEntry& entry : *entries) {
      for (const tracegate::v1::TraceEvent& ev : entry.batch.events()) {
        ++queued;
        if (ev.has_trace()) {
          traces[ev.workspace()].insert(ev.trace().id());
          if (ev.workspace() == "team-a") {
            EXPECT_EQ(ev.trace().input().text(), kPlanted);  // full
          } else {
            EXPECT_FALSE(ev.trace().has_input()) << ev.trace().input().DebugString();  // drop
          }
        } else {
          spans[ev.workspace()].insert(ev.observation().trace_id());
          if (ev.workspace() == "team-a") {
            EXPECT_EQ(ev.observation().output().text(), kPlanted);
          } else {
            EXPECT_FALSE(ev.observation().has_output());
          }
        }
      }
    }
  }
  // team-a keeps every trace; team-b about 30%, whole traces only.
  EXPECT_EQ(traces["team-a"].size(), static_cast<size_t>(kTraces));
  EXPECT_EQ(spans["team-a"], traces["team-a"]);
  const size_t kept_b = traces["team-b"].size();
  EXPECT_GT(kept_b, static_cast<size_t>(kTraces * 0.22));
  EXPECT_LT(kept_b, static_cast<size_t>(kTraces * 0.38));
  EXPECT_EQ(spans["team-b"], traces["team-b"]);
  EXPECT_EQ(queued, 2 * kTraces + 2 * static_cast<int>(kept_b));

  // Sampled-out events and, apart, the sampled-out Trace events.
  const int64_t dropped_b = kTraces - static_cast<int64_t>(kept_b);
  EXPECT_EQ(telemetry.sampled_events["team-b"], 2 * dropped_b);
  EXPECT_EQ(telemetry.sampled_traces["team-b"], dropped_b);
  EXPECT_EQ(telemetry.sampled_events.count("team-a"), 0u);
  EXPECT_EQ(telemetry.sampled_traces.count("team-a"), 0u);
}

}  // namespace
}  // namespace tracegate::receive
