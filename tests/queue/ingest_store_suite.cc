// The shared IngestStore behaviour (see ingest_store_suite.h).
#include "tests/queue/ingest_store_suite.h"

#include "gmock/gmock.h"
#include "tests/queue/queue_suite.h"

namespace tracegate::queue::testing {
namespace {

using ::testing::ElementsAre;

tracegate::v1::IngestRequest Events(std::vector<std::string> ids) {
  tracegate::v1::IngestRequest b;
  for (const auto& id : ids) {
    auto* e = b.add_events();
    e->set_event_id(id);
    e->set_workspace("ws");
    e->mutable_observation()->set_name("payload of " + id);
  }
  return b;
}

std::vector<std::string> QueuedIds(core::Queue& q, const std::string& route) {
  std::vector<std::string> ids;
  auto got = q.Read(route, 100, absl::ZeroDuration());
  EXPECT_TRUE(got.ok()) << got.status();
  std::vector<std::string> entry_ids;
  for (const auto& entry : *got) {
    entry_ids.push_back(entry.id);
    for (const auto& e : entry.batch.events()) ids.push_back(e.event_id());
  }
  EXPECT_TRUE(q.Ack(route, entry_ids).ok());
  return ids;
}

TEST_P(IngestStoreSuite, NewEventsAreQueuedAsOneEntryDuplicatesAreNot) {
  auto first = parts_.store->DedupeAndAppend("ws", "r", Events({"a", "b"}));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(first->fresh, ElementsAre(true, true));
  EXPECT_TRUE(first->append.ok());
  auto second = parts_.store->DedupeAndAppend("ws", "r", Events({"b", "c", "c"}));
  ASSERT_TRUE(second.ok());
  EXPECT_THAT(second->fresh, ElementsAre(false, true, false));
  auto got = parts_.queue->Read("r", 10, absl::ZeroDuration());
  ASSERT_EQ(got->size(), 2u);
  ASSERT_EQ((*got)[0].batch.events_size(), 2);
  ASSERT_EQ((*got)[1].batch.events_size(), 1);
  EXPECT_EQ((*got)[1].batch.events(0).event_id(), "c");
  EXPECT_EQ((*got)[1].batch.events(0).observation().name(), "payload of c");
}

TEST_P(IngestStoreSuite, AllDuplicatesAppendNothing) {
  ASSERT_TRUE(parts_.store->DedupeAndAppend("ws", "r", Events({"a"})).ok());
  EXPECT_EQ(QueuedIds(*parts_.queue, "r").size(), 1u);
  auto again = parts_.store->DedupeAndAppend("ws", "r", Events({"a", "a"}));
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(again->fresh, ElementsAre(false, false));
  EXPECT_TRUE(again->append.ok());
  EXPECT_TRUE(QueuedIds(*parts_.queue, "r").empty());
}

TEST_P(IngestStoreSuite, AFullRouteRecordsNothingSoTheRetryIsNotADuplicate) {
  ASSERT_TRUE(
      parts_.store->DedupeAndAppend("ws", "r", Events({"1", "2", "3", "4", "5", "6", "7", "8"}))
          .ok());
  auto full = parts_.store->DedupeAndAppend("ws", "r", Events({"8", "9", "10", "11"}));
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_THAT(full->fresh, ElementsAre(false, true, true, true));
  EXPECT_EQ(full->append.code(), absl::StatusCode::kResourceExhausted);
  // Another route is not affected.
  auto other = parts_.store->DedupeAndAppend("ws", "other", Events({"x"}));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->append.ok());
  // After the route drains, the retry is accepted as new.
  EXPECT_EQ(QueuedIds(*parts_.queue, "r").size(), 8u);
  auto retry = parts_.store->DedupeAndAppend("ws", "r", Events({"9", "10", "11"}));
  ASSERT_TRUE(retry.ok());
  EXPECT_THAT(retry->fresh, ElementsAre(true, true, true));
  EXPECT_TRUE(retry->append.ok());
}

TEST_P(IngestStoreSuite, WindowAppliesPerWorkspace) {
  ASSERT_TRUE(parts_.store->DedupeAndAppend("ws", "r", Events({"a"})).ok());
  auto other_ws = parts_.store->DedupeAndAppend("ws2", "r", Events({"a"}));
  ASSERT_TRUE(other_ws.ok());
  EXPECT_THAT(other_ws->fresh, ElementsAre(true));
  clock_.Advance(absl::Hours(1) * (1 + GetParam().max_overshoot) + absl::Minutes(1));
  QueuedIds(*parts_.queue, "r");
  auto later = parts_.store->DedupeAndAppend("ws", "r", Events({"a"}));
  ASSERT_TRUE(later.ok());
  EXPECT_THAT(later->fresh, ElementsAre(true));
}

}  // namespace
}  // namespace tracegate::queue::testing
