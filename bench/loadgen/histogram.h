// LatencyHistogram: a small log-linear (HDR-style) histogram of durations in nanoseconds.
//
//   LatencyHistogram h;
//   h.Record(1'234'000);                 // 1.234 ms
//   int64_t p99 = h.Percentile(99.0);    // upper edge of the bucket holding the 99th pct
//
// Buckets: values below 2^kSubBits ns are exact; above, each power-of-two range
// [2^k, 2^(k+1)) is split into 2^kSubBits equal sub-buckets, so a reported percentile is at
// most 1/2^kSubBits (~0.8 %) above the true value. Covers 0 .. 2^63 ns with ~7.5k counters
// (60 KB). Not thread-safe: keep one per thread and Merge() them.
#pragma once

#include <array>
#include <cstdint>

namespace tracegate::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr int kSubCount = 1 << kSubBits;
  static constexpr int kBuckets = (64 - kSubBits + 1) * kSubCount;

  void Record(int64_t nanos);
  void Merge(const LatencyHistogram& other);
  void Clear();

  int64_t count() const { return count_; }
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }
  // The smallest bucket upper edge at or below which `percent` % of the values lie,
  // clamped to [min(), max()]. 0 when empty.
  int64_t Percentile(double percent) const;

  // Exposed for tests: the bucket of a value and the largest value in a bucket.
  static int BucketOf(int64_t nanos);
  static int64_t UpperEdge(int bucket);

 private:
  std::array<int64_t, kBuckets> counts_{};
  int64_t count_ = 0;
  int64_t sum_ = 0;
  int64_t min_ = INT64_MAX;
  int64_t max_ = 0;
};

}  // namespace tracegate::bench
