// The behavioural suite every core::Deduper passes (embedded and Redis). An implementation
// instantiates it with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, DeduperSuite, ::testing::Values(DeduperImpl{...}),
//                            DeduperImplName);
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/time/time.h"
#include "gateway/core/clock.h"
#include "gateway/core/deduper.h"
#include "gtest/gtest.h"

namespace tracegate::dedupe::testing {

struct DeduperImpl {
  std::string name;
  // A fresh deduper with no ids recorded.
  std::function<std::unique_ptr<core::Deduper>(absl::Duration window, const core::Clock* clock)>
      make;
  // How much longer than the window an id may stay a duplicate, as a fraction of the window
  // (embedded: 0, exact; Redis: 1, ids are forgotten between one and two windows).
  double max_overshoot = 0;
};

// Test names and ctest show the implementation's name, not the bytes of the struct.
inline void PrintTo(const DeduperImpl& impl, std::ostream* os) { *os << impl.name; }

inline std::string DeduperImplName(const ::testing::TestParamInfo<DeduperImpl>& info) {
  return info.param.name;
}

class DeduperSuite : public ::testing::TestWithParam<DeduperImpl> {
 protected:
  std::unique_ptr<core::Deduper> Make(absl::Duration window = absl::Hours(1)) {
    return GetParam().make(window, &clock_);
  }
  // From "recorded" to "surely forgotten".
  absl::Duration Forgotten(absl::Duration window) const {
    return window + window * GetParam().max_overshoot;
  }
  core::FakeClock clock_;
};

}  // namespace tracegate::dedupe::testing
