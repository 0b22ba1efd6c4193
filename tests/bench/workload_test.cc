// The load generator's batches must be what the gateway expects: valid IngestRequests with
// unique ids, the asked-for mix and duplicate share, and the right workspace rotation.
#include "bench/loadgen/workload.h"

#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "bench/loadgen/wire.h"
#include "tracegate/v1/ingest_service.pb.h"

namespace tracegate::bench {
namespace {

v1::IngestRequest Parse(const std::string& bytes) {
  v1::IngestRequest r;
  EXPECT_TRUE(r.ParseFromString(bytes));
  return r;
}

TEST(Workload, BatchesParseWithFreshIds) {
  Workload w(WorkloadOptions{.batch_size = 50, .run_id = 7});
  std::set<std::string> ids;
  for (uint64_t b = 1; b <= 4; ++b) {
    v1::IngestRequest r = Parse(w.NextIngestRequest(b));
    EXPECT_EQ(r.batch_id(), b);
    EXPECT_EQ(r.default_workspace(), "bench-0");
    ASSERT_EQ(r.events_size(), 50);
    for (const auto& e : r.events()) {
      ASSERT_TRUE(e.has_observation());
      EXPECT_EQ(e.event_id().size(), 36u);
      EXPECT_EQ(e.event_id().find('E'), std::string::npos) << "placeholder left";
      EXPECT_EQ(e.observation().trace_id().find('T'), std::string::npos);
      EXPECT_NE(e.observation().id(), e.event_id());
      ids.insert(e.event_id());
    }
  }
  EXPECT_EQ(ids.size(), 200u);
  EXPECT_GT(w.EventBytes(EventKind::kSpan), 300u);
  EXPECT_LT(w.EventBytes(EventKind::kSpan), 600u);
  EXPECT_GT(w.EventBytes(EventKind::kGeneration), 3500u);
}

TEST(Workload, MixAndWorkspacesRotate) {
  auto mix = ParseMix("span:8,generation:1,score:1");
  ASSERT_TRUE(mix.ok());
  Workload w(WorkloadOptions{.batch_size = 100, .mix = *mix, .workspaces = 3});
  int spans = 0, generations = 0, scores = 0;
  for (int b = 0; b < 3; ++b) {
    v1::IngestRequest r = Parse(w.NextIngestRequest(b));
    EXPECT_EQ(r.default_workspace(), absl::StrCat("bench-", b));
    for (const auto& e : r.events()) {
      if (e.has_score()) {
        ++scores;
      } else if (e.observation().type() == v1::OBSERVATION_TYPE_GENERATION) {
        ++generations;
      } else {
        ++spans;
      }
    }
  }
  EXPECT_EQ(spans, 240);
  EXPECT_EQ(generations, 30);
  EXPECT_EQ(scores, 30);
  EXPECT_FALSE(ParseMix("span:x").ok());
  EXPECT_FALSE(ParseMix("spans").ok());
  EXPECT_FALSE(ParseMix("span:0").ok());
}

TEST(Workload, DuplicatesRepeatEarlierEventsOfTheSameWorkspace) {
  Workload w(WorkloadOptions{.batch_size = 100, .duplicate_ratio = 0.1, .workspaces = 2});
  std::set<std::pair<std::string, std::string>> seen;  // (workspace, event_id)
  int repeats = 0, total = 0;
  for (int b = 0; b < 20; ++b) {
    v1::IngestRequest r = Parse(w.NextIngestRequest(b));
    std::set<std::string> in_batch;
    for (const auto& e : r.events()) {
      EXPECT_TRUE(in_batch.insert(e.event_id()).second) << "duplicate inside one batch";
      if (!seen.insert({r.default_workspace(), e.event_id()}).second) ++repeats;
      ++total;
    }
  }
  // The first batch of each workspace has nothing to repeat.
  EXPECT_NEAR(repeats, 0.1 * (total - 200), 20);
  EXPECT_GT(repeats, 0);
}

TEST(Workload, OtlpRequestHoldsTheSpans) {
  auto mix = ParseMix("span:9,score:1");
  ASSERT_TRUE(mix.ok());
  Workload w(WorkloadOptions{.batch_size = 20, .mix = *mix});
  absl::StatusOr<std::string> otlp = w.OtlpExportRequest();
  ASSERT_TRUE(otlp.ok()) << otlp.status();
  EXPECT_GT(otlp->size(), 18u * 200u);
}

TEST(Wire, ReadsCountsAndSkipsResults) {
  v1::IngestResponse resp;
  resp.set_batch_id(42);
  for (int i = 0; i < 3; ++i) resp.add_results()->set_event_id("e");
  auto* bad = resp.add_results();
  bad->set_status(v1::EVENT_STATUS_REJECTED);
  bad->set_code(3);
  bad->set_reason("observation.name: required");
  resp.set_accepted(2);
  resp.set_duplicate(1);
  resp.set_rejected(1);
  const std::string bytes = resp.SerializeAsString();
  IngestAnswer a;
  ASSERT_TRUE(ReadIngestAnswer(bytes, &a));
  EXPECT_TRUE(a.has_batch_id);
  EXPECT_EQ(a.batch_id, 42u);
  EXPECT_EQ(a.accepted, 2);
  EXPECT_EQ(a.duplicate, 1);
  EXPECT_EQ(a.rejected, 1);
  EXPECT_EQ(FirstRejectedReason(bytes), "code 3: observation.name: required");
  EXPECT_FALSE(ReadIngestAnswer(bytes.substr(0, bytes.size() - 1) + "\xff", &a));
  int64_t rejected = -1;
  ASSERT_TRUE(ReadOtlpRejectedSpans("", &rejected));
  EXPECT_EQ(rejected, 0);
  ASSERT_TRUE(ReadOtlpRejectedSpans(std::string("\x0a\x02\x08\x05", 4), &rejected));
  EXPECT_EQ(rejected, 5);
}

}  // namespace
}  // namespace tracegate::bench
