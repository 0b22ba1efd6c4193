#include "gateway/queue/memory_queue.h"

#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace tracegate::queue {
namespace {

tracegate::v1::IngestRequest Batch(int n, const std::string& prefix) {
  tracegate::v1::IngestRequest b;
  for (int i = 0; i < n; ++i) b.add_events()->set_event_id(prefix + std::to_string(i));
  return b;
}

class MemoryQueueTest : public ::testing::Test {
 protected:
  MemoryQueue Make(int64_t cap = 100) {
    MemoryQueueOptions o;
    o.max_events_per_route = cap;
    o.clock = &clock_;
    return MemoryQueue(o);
  }
  core::FakeClock clock_;
};

TEST_F(MemoryQueueTest, ReadsInOrderAndAckRemoves) {
  MemoryQueue q = Make();
  ASSERT_TRUE(q.Append("r", Batch(2, "a")).ok());
  ASSERT_TRUE(q.Append("r", Batch(3, "b")).ok());
  auto entries = q.Read("r", 10, absl::ZeroDuration());
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].batch.events(0).event_id(), "a0");
  EXPECT_EQ((*entries)[1].batch.events(0).event_id(), "b0");
  EXPECT_EQ(q.Stats("r").events, 5);
  EXPECT_EQ(q.Stats("r").pending_entries, 2);
  std::vector<std::string> ids = {(*entries)[0].id, (*entries)[1].id};
  ASSERT_TRUE(q.Ack("r", ids).ok());
  EXPECT_EQ(q.Stats("r").events, 0);
  EXPECT_EQ(q.Stats("r").entries, 0);
}

TEST_F(MemoryQueueTest, FullRouteIsResourceExhaustedOthersFlow) {
  MemoryQueue q = Make(/*cap=*/5);
  ASSERT_TRUE(q.Append("busy", Batch(5, "a")).ok());
  absl::Status st = q.Append("busy", Batch(1, "b"));
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("busy"), absl::string_view::npos);
  EXPECT_TRUE(q.Append("calm", Batch(5, "c")).ok());
}

TEST_F(MemoryQueueTest, PendingEntriesStillCountTowardsTheCap) {
  MemoryQueue q = Make(/*cap=*/3);
  ASSERT_TRUE(q.Append("r", Batch(3, "a")).ok());
  ASSERT_EQ(q.Read("r", 1, absl::ZeroDuration())->size(), 1u);
  EXPECT_EQ(q.Append("r", Batch(1, "b")).code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(MemoryQueueTest, ReleasedEntriesAreReadAgainFirstWithDeliveryCount) {
  MemoryQueue q = Make();
  ASSERT_TRUE(q.Append("r", Batch(1, "a")).ok());
  ASSERT_TRUE(q.Append("r", Batch(1, "b")).ok());
  auto first = q.Read("r", 1, absl::ZeroDuration());
  ASSERT_EQ(first->size(), 1u);
  std::vector<std::string> ids = {(*first)[0].id};
  ASSERT_TRUE(q.Release("r", ids).ok());
  auto again = q.Read("r", 2, absl::ZeroDuration());
  ASSERT_EQ(again->size(), 2u);
  EXPECT_EQ((*again)[0].batch.events(0).event_id(), "a0");
  EXPECT_EQ((*again)[0].delivery_count, 2);
  EXPECT_EQ((*again)[1].delivery_count, 1);
}

TEST_F(MemoryQueueTest, ReadTimesOutEmptyAndWakesOnAppend) {
  MemoryQueue q = Make();
  auto none = q.Read("r", 1, absl::Milliseconds(10));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  std::thread producer([&] { ASSERT_TRUE(q.Append("r", Batch(1, "late")).ok()); });
  auto got = q.Read("r", 1, absl::Seconds(30));
  producer.join();
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
}

TEST_F(MemoryQueueTest, CloseWakesReadersAndRefusesAppends) {
  MemoryQueue q = Make();
  std::thread closer([&] { q.Close(); });
  auto r = q.Read("r", 1, absl::Seconds(30));
  closer.join();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(q.Append("r", Batch(1, "x")).code(), absl::StatusCode::kUnavailable);
}

TEST_F(MemoryQueueTest, DeadLettersAreListedNewestFirstAndCounted) {
  MemoryQueue q = Make();
  for (int i = 0; i < 3; ++i) {
    core::DeadLetter d;
    d.route = "r";
    d.event.set_event_id("e" + std::to_string(i));
    d.reason = "400";
    ASSERT_TRUE(q.AddDeadLetter(d).ok());
  }
  auto list = q.ListDeadLetters("r", 2);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].event.event_id(), "e2");
  EXPECT_EQ(q.Stats("r").dead_letters, 3);
}

TEST_F(MemoryQueueTest, OldestAgeFollowsTheClock) {
  MemoryQueue q = Make();
  ASSERT_TRUE(q.Append("r", Batch(1, "a")).ok());
  clock_.Advance(absl::Seconds(42));
  EXPECT_EQ(q.Stats("r").oldest_age, absl::Seconds(42));
}

}  // namespace
}  // namespace tracegate::queue
