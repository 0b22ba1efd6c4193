// The behavioural suite every core::Queue passes (embedded and Redis). An implementation
// instantiates it with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(Embedded, QueueSuite, ::testing::Values(QueueImpl{...}),
//                            QueueImplName);
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "gateway/core/clock.h"
#include "gateway/core/queue.h"
#include "gtest/gtest.h"

namespace tracegate::queue::testing {

struct QueueImpl {
  std::string name;
  // A fresh, empty queue holding at most `cap` events per route.
  std::function<std::unique_ptr<core::Queue>(int64_t cap, const core::Clock* clock)> make;
};

// Test names and ctest show the implementation's name, not the bytes of the struct.
inline void PrintTo(const QueueImpl& impl, std::ostream* os) { *os << impl.name; }

inline std::string QueueImplName(const ::testing::TestParamInfo<QueueImpl>& info) {
  return info.param.name;
}

// `n` events with ids prefix0..prefix<n-1>.
inline tracegate::v1::IngestRequest Batch(int n, const std::string& prefix) {
  tracegate::v1::IngestRequest b;
  for (int i = 0; i < n; ++i) b.add_events()->set_event_id(prefix + std::to_string(i));
  return b;
}

class QueueSuite : public ::testing::TestWithParam<QueueImpl> {
 protected:
  std::unique_ptr<core::Queue> Make(int64_t cap = 100) { return GetParam().make(cap, &clock_); }
  core::FakeClock clock_;
};

}  // namespace tracegate::queue::testing
