#include "gateway/ratelimit/token_bucket.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace tracegate::ratelimit {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1767225600);

TEST(TokenBucketTest, BurstThenRefusesWithTheExactWait) {
  TokenBucket b(/*rate=*/10, /*capacity=*/10);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(b.TryTake(1, kT0), absl::ZeroDuration()) << i;
  EXPECT_EQ(b.TryTake(1, kT0), absl::Milliseconds(100));  // one token per 100 ms
  EXPECT_EQ(b.TryTake(3, kT0), absl::Milliseconds(300));
  // A refused take changes nothing.
  EXPECT_DOUBLE_EQ(b.Available(kT0), 0);
}

TEST(TokenBucketTest, RefillsContinuouslyUpToCapacity) {
  TokenBucket b(10, 5);
  EXPECT_EQ(b.TryTake(5, kT0), absl::ZeroDuration());
  EXPECT_NEAR(b.Available(kT0 + absl::Milliseconds(250)), 2.5, 1e-9);
  EXPECT_EQ(b.TryTake(2, kT0 + absl::Milliseconds(250)), absl::ZeroDuration());
  EXPECT_NEAR(b.Available(kT0 + absl::Hours(1)), 5, 1e-9);  // never more than capacity
}

TEST(TokenBucketTest, OversizedRequestPassesWhenFullAndLeavesDebt) {
  TokenBucket b(100, 100);
  EXPECT_EQ(b.TryTake(500, kT0), absl::ZeroDuration());
  EXPECT_NEAR(b.Available(kT0), -400, 1e-9);
  // The next request of 500 needs a full bucket again: 4 s of debt + 1 s of refill.
  EXPECT_EQ(b.TryTake(500, kT0), absl::Seconds(5));
  EXPECT_EQ(b.TryTake(1, kT0 + absl::Seconds(4)), absl::Milliseconds(10));
  EXPECT_EQ(b.TryTake(1, kT0 + absl::Milliseconds(4010)), absl::ZeroDuration());
}

TEST(TokenBucketTest, RefundAndZeroCost) {
  TokenBucket b(1, 1);
  EXPECT_EQ(b.TryTake(1, kT0), absl::ZeroDuration());
  EXPECT_GT(b.TryTake(1, kT0), absl::ZeroDuration());
  EXPECT_EQ(b.TryTake(0, kT0), absl::ZeroDuration());  // empty requests always pass
  b.Refund(1);
  EXPECT_EQ(b.TryTake(1, kT0), absl::ZeroDuration());
}

TEST(TokenBucketTest, HugeCostsDoNotOverflow) {
  TokenBucket b(0.001, 1);
  EXPECT_EQ(b.TryTake(1e12, kT0), absl::ZeroDuration());
  const absl::Duration wait = b.TryTake(1, kT0);
  EXPECT_GT(wait, absl::Hours(24));
  EXPECT_LT(wait, absl::Hours(24 * 200));
}

TEST(TokenBucketTest, ConcurrentTakesNeverExceedCapacity) {
  TokenBucket b(1, 1000);  // frozen time: exactly 1000 single takes can succeed
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (b.TryTake(1, kT0) == absl::ZeroDuration()) ok.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1000);
}

TEST(TokenBucketTest, CopyStateFrom) {
  TokenBucket a(10, 10), b(10, 10);
  EXPECT_EQ(a.TryTake(10, kT0), absl::ZeroDuration());
  b.CopyStateFrom(a);
  EXPECT_GT(b.TryTake(1, kT0), absl::ZeroDuration());
}

}  // namespace
}  // namespace tracegate::ratelimit
