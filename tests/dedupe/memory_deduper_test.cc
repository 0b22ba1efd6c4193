#include "gateway/dedupe/memory_deduper.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tracegate::dedupe {
namespace {

using ::testing::ElementsAre;

class MemoryDeduperTest : public ::testing::Test {
 protected:
  MemoryDeduper Make(size_t max_entries = 1000) {
    MemoryDeduperOptions o;
    o.window = absl::Hours(1);
    o.max_entries_per_workspace = max_entries;
    o.clock = &clock_;
    return MemoryDeduper(o);
  }
  core::FakeClock clock_;
};

TEST_F(MemoryDeduperTest, FirstSightingIsNewSecondIsDuplicate) {
  MemoryDeduper d = Make();
  std::vector<absl::string_view> ids = {"a", "b"};
  EXPECT_THAT(*d.MarkNew("ws", ids), ElementsAre(true, true));
  std::vector<absl::string_view> again = {"b", "c"};
  EXPECT_THAT(*d.MarkNew("ws", again), ElementsAre(false, true));
}

TEST_F(MemoryDeduperTest, RepeatInsideOneBatchIsNewOnlyOnce) {
  MemoryDeduper d = Make();
  std::vector<absl::string_view> ids = {"x", "x", "y", "x"};
  EXPECT_THAT(*d.MarkNew("ws", ids), ElementsAre(true, false, true, false));
}

TEST_F(MemoryDeduperTest, WorkspacesAreSeparate) {
  MemoryDeduper d = Make();
  std::vector<absl::string_view> ids = {"a"};
  EXPECT_THAT(*d.MarkNew("one", ids), ElementsAre(true));
  EXPECT_THAT(*d.MarkNew("two", ids), ElementsAre(true));
  EXPECT_THAT(*d.MarkNew("one", ids), ElementsAre(false));
}

TEST_F(MemoryDeduperTest, IdIsNewAgainAfterTheWindow) {
  MemoryDeduper d = Make();
  std::vector<absl::string_view> ids = {"a"};
  EXPECT_THAT(*d.MarkNew("ws", ids), ElementsAre(true));
  clock_.Advance(absl::Minutes(59));
  EXPECT_THAT(*d.MarkNew("ws", ids), ElementsAre(false));
  clock_.Advance(absl::Minutes(2));
  EXPECT_THAT(*d.MarkNew("ws", ids), ElementsAre(true));
}

TEST_F(MemoryDeduperTest, ForgetMakesAnIdNewAgain) {
  MemoryDeduper d = Make();
  std::vector<absl::string_view> ids = {"a", "b"};
  ASSERT_TRUE(d.MarkNew("ws", ids).ok());
  std::vector<absl::string_view> forget = {"a"};
  d.Forget("ws", forget);
  EXPECT_THAT(*d.MarkNew("ws", ids), ElementsAre(true, false));
}

TEST_F(MemoryDeduperTest, MemoryIsBoundedOldestForgottenFirst) {
  MemoryDeduper d = Make(/*max_entries=*/3);
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
