#include "bench/loadgen/histogram.h"

#include <algorithm>
#include <cmath>

namespace tracegate::bench {

int LatencyHistogram::BucketOf(int64_t nanos) {
  if (nanos < 0) nanos = 0;
  const uint64_t v = static_cast<uint64_t>(nanos);
  if (v < static_cast<uint64_t>(kSubCount)) return static_cast<int>(v);
  const int top = 63 - __builtin_clzll(v);  // index of the highest set bit, >= kSubBits
  const int shift = top - kSubBits;
  const int sub = static_cast<int>((v >> shift) & (kSubCount - 1));
  return (shift + 1) * kSubCount + sub;
}

int64_t LatencyHistogram::UpperEdge(int bucket) {
  if (bucket < kSubCount) return bucket;
  const int shift = bucket / kSubCount - 1;
  const uint64_t sub = static_cast<uint64_t>(bucket % kSubCount);
  const uint64_t base = (static_cast<uint64_t>(kSubCount) | sub) << shift;
  const uint64_t upper = base + ((uint64_t{1} << shift) - 1);
  return upper > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(upper);
}

void LatencyHistogram::Record(int64_t nanos) {
  if (nanos < 0) nanos = 0;
  ++counts_[BucketOf(nanos)];
  ++count_;
  sum_ += nanos;
  min_ = std::min(min_, nanos);
  max_ = std::max(max_, nanos);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::Clear() { *this = LatencyHistogram(); }

int64_t LatencyHistogram::Percentile(double percent) const {
  if (count_ == 0) return 0;
  percent = std::clamp(percent, 0.0, 100.0);
  int64_t rank = static_cast<int64_t>(std::ceil(percent / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<int64_t>(rank, 1, count_);
  int64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(UpperEdge(i), min(), max_);
  }
  return max_;
}

}  // namespace tracegate::bench
