// MemoryDeduper: the shared Deduper suite, plus what only the embedded store promises
// (bounded memory, oldest forgotten first).
#include "gateway/dedupe/memory_deduper.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dedupe/deduper_suite.h"

namespace tracegate::dedupe {
namespace {

using testing::DeduperImpl;
using testing::DeduperSuite;
using ::testing::ElementsAre;

INSTANTIATE_TEST_SUITE_P(Embedded, DeduperSuite,
                         ::testing::Values(DeduperImpl{
                             "Memory",
                             [](absl::Duration window,
                                const core::Clock* clock) -> std::unique_ptr<core::Deduper> {
                               MemoryDeduperOptions o;
                               o.window = window;
                               o.clock = clock;
                               return std::make_unique<MemoryDeduper>(o);
                             }}),
                         testing::DeduperImplName);

TEST(MemoryDeduperTest, MemoryIsBoundedOldestForgottenFirst) {
  core::FakeClock clock;
  MemoryDeduperOptions o;
  o.window = absl::Hours(1);
  o.max_entries_per_workspace = 3;
  o.clock = &clock;
  MemoryDeduper d(o);
  for (std::string id : {"1", "2", "3", "4", "5"}) {
    std::vector<absl::string_view> one = {id};
    ASSERT_THAT(*d.MarkNew("ws", one), ElementsAre(true));
  }
  EXPECT_EQ(d.Size("ws"), 3u);
  std::vector<absl::string_view> newest = {"5"};
  EXPECT_THAT(*d.MarkNew("ws", newest), ElementsAre(false));
  std::vector<absl::string_view> oldest = {"1"};
  EXPECT_THAT(*d.MarkNew("ws", oldest), ElementsAre(true));
}

}  // namespace
}  // namespace tracegate::dedupe
