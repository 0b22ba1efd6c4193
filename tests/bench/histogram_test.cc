#include "bench/loadgen/histogram.h"

#include <gtest/gtest.h>

namespace tracegate::bench {
namespace {

TEST(LatencyHistogram, EmptyIsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.Percentile(99), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int v = 0; v < 100; ++v) h.Record(v);
  EXPECT_EQ(h.Percentile(50), 49);
  EXPECT_EQ(h.Percentile(100), 99);
  EXPECT_EQ(h.min(), 0);
  EXPECT_DOUBLE_EQ(h.mean(), 49.5);
}

TEST(LatencyHistogram, BucketsRoundTripWithinPrecision) {
  for (int64_t v : {int64_t{128}, int64_t{129}, int64_t{1000}, int64_t{123456789},
                    int64_t{1} << 40, INT64_MAX}) {
    const int b = LatencyHistogram::BucketOf(v);
    ASSERT_LT(b, LatencyHistogram::kBuckets);
    const int64_t upper = LatencyHistogram::UpperEdge(b);
    EXPECT_GE(upper, v);
    EXPECT_LE(static_cast<double>(upper - v), static_cast<double>(v) / 128.0) << v;
    if (b > 0) EXPECT_LT(LatencyHistogram::UpperEdge(b - 1), v) << v;
  }
}

TEST(LatencyHistogram, PercentilesOfAUniformRange) {
  LatencyHistogram h;
  for (int64_t v = 1; v <= 100000; ++v) h.Record(v * 1000);  // 1 µs .. 100 ms
  auto near = [](int64_t got, double want) {
    EXPECT_NEAR(static_cast<double>(got), want, want / 100.0);
  };
  near(h.Percentile(50), 50e6);
  near(h.Percentile(99), 99e6);
  near(h.Percentile(99.9), 99.9e6);
  EXPECT_EQ(h.Percentile(100), 100'000'000);
  EXPECT_EQ(h.max(), 100'000'000);
}

TEST(LatencyHistogram, OutlierShowsOnlyInTheTail) {
  LatencyHistogram h;
  for (int i = 0; i < 999; ++i) h.Record(1'000'000);
  h.Record(900'000'000);
  EXPECT_LE(h.Percentile(99), 1'010'000);
  EXPECT_GE(h.Percentile(99.95), 890'000'000);
}

TEST(LatencyHistogram, MergeAddsCounts) {
  LatencyHistogram a, b;
  a.Record(10);
  b.Record(5'000);
  b.Record(-3);  // clamped to 0
  a.Merge(b);
  EXPECT_EQ(a.count(), 3);
  EXPECT_EQ(a.min(), 0);
  EXPECT_EQ(a.max(), 5'000);
  EXPECT_EQ(a.Percentile(100), 5'000);
}

}  // namespace
}  // namespace tracegate::bench
