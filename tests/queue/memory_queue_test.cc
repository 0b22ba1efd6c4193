// MemoryQueue: the shared Queue suite, plus what only the embedded store does.
#include "gateway/queue/memory_queue.h"

#include "gtest/gtest.h"
#include "tests/queue/queue_suite.h"

namespace tracegate::queue {
namespace {

using testing::Batch;
using testing::QueueImpl;
using testing::QueueSuite;

INSTANTIATE_TEST_SUITE_P(Embedded, QueueSuite,
                         ::testing::Values(QueueImpl{"Memory",
                                                     [](int64_t cap, const core::Clock* clock)
                                                         -> std::unique_ptr<core::Queue> {
                                                       MemoryQueueOptions o;
                                                       o.max_events_per_route = cap;
                                                       o.clock = clock;
                                                       return std::make_unique<MemoryQueue>(o);
                                                     }}),
                         testing::QueueImplName);

TEST(MemoryQueueTest, OldestAgeFollowsTheClock) {
  core::FakeClock clock;
  MemoryQueueOptions o;
  o.clock = &clock;
  MemoryQueue q(o);
  ASSERT_TRUE(q.Append("r", Batch(1, "a")).ok());
  clock.Advance(absl::Seconds(42));
  EXPECT_EQ(q.Stats("r").oldest_age, absl::Seconds(42));
}

}  // namespace
}  // namespace tracegate::queue
