// The behavioural suite every core::IngestStore passes: the embedded pair (SplitIngestStore
// over MemoryDeduper + MemoryQueue) and RedisIngestStore. A fixture gives the store and a
// Queue that reads what it appended.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "gateway/core/clock.h"
#include "gateway/core/ingest_store.h"
#include "gateway/core/queue.h"
#include "gtest/gtest.h"

namespace tracegate::queue::testing {

struct IngestStoreParts {
  std::unique_ptr<core::IngestStore> store;
  std::unique_ptr<core::Queue> queue;  // reads the store's entries
  std::shared_ptr<void> keep_alive;    // whatever else the parts need
};

struct IngestStoreImpl {
  std::string name;
  std::function<IngestStoreParts(int64_t cap, absl::Duration window, const core::Clock* clock)>
      make;
  // How much longer than the window an id may stay a duplicate (fraction of the window).
  double max_overshoot = 0;
};

// Test names and ctest show the implementation's name, not the bytes of the struct.
inline void PrintTo(const IngestStoreImpl& impl, std::ostream* os) { *os << impl.name; }

inline std::string IngestStoreImplName(const ::testing::TestParamInfo<IngestStoreImpl>& info) {
  return info.param.name;
}

class IngestStoreSuite : public ::testing::TestWithParam<IngestStoreImpl> {
 protected:
  void SetUp() override { parts_ = GetParam().make(/*cap=*/10, absl::Hours(1), &clock_); }
  core::FakeClock clock_;
  IngestStoreParts parts_;
};

}  // namespace tracegate::queue::testing
