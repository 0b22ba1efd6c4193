// The shared Queue behaviour (see queue_suite.h).
#include "tests/queue/queue_suite.h"

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace tracegate::queue::testing {
namespace {

std::vector<std::string> Ids(const std::vector<core::QueueEntry>& entries) {
  std::vector<std::string> ids;
  for (const auto& e : entries) ids.push_back(e.id);
  return ids;
}

TEST_P(QueueSuite, ReadsInOrderAndAckRemoves) {
  auto q = Make();
  ASSERT_TRUE(q->Append("r", Batch(2, "a")).ok());
  ASSERT_TRUE(q->Append("r", Batch(3, "b")).ok());
  auto entries = q->Read("r", 10, absl::ZeroDuration());
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].batch.events(0).event_id(), "a0");
  EXPECT_EQ((*entries)[1].batch.events(2).event_id(), "b2");
  EXPECT_EQ((*entries)[0].delivery_count, 1);
  EXPECT_EQ(q->Stats("r").events, 5);
  EXPECT_EQ(q->Stats("r").pending_entries, 2);
  ASSERT_TRUE(q->Ack("r", Ids(*entries)).ok());
  EXPECT_EQ(q->Stats("r").events, 0);
  EXPECT_EQ(q->Stats("r").entries, 0);
  EXPECT_TRUE(q->Read("r", 10, absl::ZeroDuration())->empty());
}

TEST_P(QueueSuite, EventsRoundTripUnchanged) {
  auto q = Make();
  tracegate::v1::IngestRequest b;
  auto* e = b.add_events();
  e->set_event_id("full");
  e->set_workspace("ws");
  e->mutable_observation()->set_id("obs-1");
  e->mutable_observation()->set_name(std::string(5000, 'x'));
  const std::string want = e->SerializeAsString();
  ASSERT_TRUE(q->Append("r", b).ok());
  auto got = q->Read("r", 1, absl::ZeroDuration());
  ASSERT_EQ(got->size(), 1u);
  ASSERT_EQ((*got)[0].batch.events_size(), 1);
  EXPECT_EQ((*got)[0].batch.events(0).SerializeAsString(), want);
}

TEST_P(QueueSuite, FullRouteIsResourceExhaustedOthersFlow) {
  auto q = Make(/*cap=*/5);
  ASSERT_TRUE(q->Append("busy", Batch(5, "a")).ok());
  absl::Status st = q->Append("busy", Batch(1, "b"));
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("busy"), absl::string_view::npos);
  EXPECT_TRUE(q->Append("calm", Batch(5, "c")).ok());
}

TEST_P(QueueSuite, PendingEntriesCountTowardsTheCapUntilAcked) {
  auto q = Make(/*cap=*/3);
  ASSERT_TRUE(q->Append("r", Batch(3, "a")).ok());
  auto got = q->Read("r", 1, absl::ZeroDuration());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(q->Append("r", Batch(1, "b")).code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(q->Ack("r", Ids(*got)).ok());
  EXPECT_TRUE(q->Append("r", Batch(3, "c")).ok());
}

TEST_P(QueueSuite, AckingTwiceIsHarmless) {
  auto q = Make(/*cap=*/10);
  ASSERT_TRUE(q->Append("r", Batch(4, "a")).ok());
  ASSERT_TRUE(q->Append("r", Batch(2, "b")).ok());
  auto got = q->Read("r", 1, absl::ZeroDuration());
  ASSERT_EQ(got->size(), 1u);
  ASSERT_TRUE(q->Ack("r", Ids(*got)).ok());
  ASSERT_TRUE(q->Ack("r", Ids(*got)).ok());
  EXPECT_EQ(q->Stats("r").events, 2);
  EXPECT_EQ(q->Stats("r").entries, 1);
}

TEST_P(QueueSuite, ReleasedEntriesAreReadAgainFirstWithDeliveryCount) {
  auto q = Make();
  ASSERT_TRUE(q->Append("r", Batch(1, "a")).ok());
  ASSERT_TRUE(q->Append("r", Batch(1, "b")).ok());
  auto first = q->Read("r", 1, absl::ZeroDuration());
  ASSERT_EQ(first->size(), 1u);
  ASSERT_TRUE(q->Release("r", Ids(*first)).ok());
  auto again = q->Read("r", 2, absl::ZeroDuration());
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(again->size(), 2u);
  EXPECT_EQ((*again)[0].batch.events(0).event_id(), "a0");
  EXPECT_EQ((*again)[0].delivery_count, 2);
  EXPECT_EQ((*again)[1].batch.events(0).event_id(), "b0");
  EXPECT_EQ((*again)[1].delivery_count, 1);
}

TEST_P(QueueSuite, ReadTimesOutEmptyAndWakesOnAppend) {
  auto q = Make();
  auto none = q->Read("r", 1, absl::Milliseconds(10));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  std::thread producer([&] { ASSERT_TRUE(q->Append("r", Batch(1, "late")).ok()); });
  absl::StatusOr<std::vector<core::QueueEntry>> got;
  for (int i = 0; i < 100; ++i) {  // a Read may return empty when it raced the append
    got = q->Read("r", 1, absl::Seconds(30));
    if (!got.ok() || !got->empty()) break;
  }
  producer.join();
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
}

TEST_P(QueueSuite, CloseWakesReadersAndRefusesAppends) {
  auto q = Make();
  std::thread closer([&] { q->Close(); });
  auto r = q->Read("r", 1, absl::Seconds(30));
  closer.join();
  if (r.ok()) r = q->Read("r", 1, absl::Seconds(30));  // the reader may have come first
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(q->Append("r", Batch(1, "x")).code(), absl::StatusCode::kUnavailable);
}

TEST_P(QueueSuite, DeadLettersAreListedNewestFirstAndCounted) {
  auto q = Make();
  for (int i = 0; i < 3; ++i) {
    core::DeadLetter d;
    d.route = "r";
    d.event.set_event_id("e" + std::to_string(i));
    d.reason = "HTTP 400: bad span " + std::to_string(i);
    d.at = clock_.Now();
    ASSERT_TRUE(q->AddDeadLetter(d).ok());
  }
  auto list = q->ListDeadLetters("r", 2);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].event.event_id(), "e2");
  EXPECT_EQ((*list)[0].reason, "HTTP 400: bad span 2");
  EXPECT_EQ((*list)[0].route, "r");
  EXPECT_EQ((*list)[0].at, clock_.Now());
  EXPECT_EQ((*list)[1].event.event_id(), "e1");
  EXPECT_EQ(q->Stats("r").dead_letters, 3);
  EXPECT_TRUE(q->ListDeadLetters("other", 10)->empty());
}

TEST_P(QueueSuite, ReplayMovesTheOldestDeadLettersBackIntoTheQueue) {
  auto q = Make(/*cap=*/4);
  for (int i = 0; i < 3; ++i) {
    core::DeadLetter d;
    d.route = "r";
    d.event.set_event_id("e" + std::to_string(i));
    d.reason = "why";
    ASSERT_TRUE(q->AddDeadLetter(d).ok());
  }
  auto replayed = q->ReplayDeadLetters("r", 2);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(*replayed, 2);
  auto left = q->ListDeadLetters("r", 10);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].event.event_id(), "e2");
  auto got = q->Read("r", 10, absl::ZeroDuration());
  ASSERT_EQ(got->size(), 1u);
  ASSERT_EQ((*got)[0].batch.events_size(), 2);
  EXPECT_EQ((*got)[0].batch.events(0).event_id(), "e0");
  EXPECT_EQ((*got)[0].batch.events(1).event_id(), "e1");
  EXPECT_EQ(q->Stats("r").events, 2);
  // Replay respects the cap: 2 queued + 1 fits, then nothing fits.
  ASSERT_TRUE(q->Append("r", Batch(2, "x")).ok());
  EXPECT_EQ(q->ReplayDeadLetters("r", 10).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(q->ListDeadLetters("r", 10)->size(), 1u);
  EXPECT_EQ(*q->ReplayDeadLetters("empty-route", 10), 0);
}

TEST_P(QueueSuite, ConcurrentReadersNeverShareAnEntry) {
  auto q = Make(/*cap=*/100000);
  constexpr int kEntries = 200;
  for (int i = 0; i < kEntries; ++i) {
    ASSERT_TRUE(q->Append("r", Batch(1, "e" + std::to_string(i) + "-")).ok());
  }
  absl::Mutex mu;
  std::multiset<std::string> seen;
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (true) {
        auto got = q->Read("r", 3, absl::Milliseconds(50));
        ASSERT_TRUE(got.ok()) << got.status();
        if (got->empty()) return;
        {
          absl::MutexLock lock(&mu);
          for (const auto& e : *got) seen.insert(e.batch.events(0).event_id());
        }
        ASSERT_TRUE(q->Ack("r", Ids(*got)).ok());
      }
    });
  }
  for (auto& th : readers) th.join();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kEntries));
  for (const auto& id : seen) EXPECT_EQ(seen.count(id), 1u) << id;
  EXPECT_EQ(q->Stats("r").events, 0);
}

}  // namespace
}  // namespace tracegate::queue::testing
