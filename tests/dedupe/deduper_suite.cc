// The shared Deduper behaviour (see deduper_suite.h).
#include "tests/dedupe/deduper_suite.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"

namespace tracegate::dedupe::testing {
namespace {

using ::testing::ElementsAre;

std::vector<bool> Mark(core::Deduper& d, absl::string_view ws, std::vector<absl::string_view> ids) {
  auto r = d.MarkNew(ws, ids);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<bool>();
}

TEST_P(DeduperSuite, FirstSightingIsNewSecondIsDuplicate) {
  auto d = Make();
  EXPECT_THAT(Mark(*d, "ws", {"a", "b"}), ElementsAre(true, true));
  EXPECT_THAT(Mark(*d, "ws", {"b", "c"}), ElementsAre(false, true));
}

TEST_P(DeduperSuite, RepeatInsideOneBatchIsNewOnlyOnce) {
  auto d = Make();
  EXPECT_THAT(Mark(*d, "ws", {"x", "x", "y", "x"}), ElementsAre(true, false, true, false));
}

TEST_P(DeduperSuite, EmptyBatchIsEmpty) {
  auto d = Make();
  EXPECT_TRUE(Mark(*d, "ws", {}).empty());
}

TEST_P(DeduperSuite, WorkspacesAreSeparate) {
  auto d = Make();
  EXPECT_THAT(Mark(*d, "one", {"a"}), ElementsAre(true));
  EXPECT_THAT(Mark(*d, "two", {"a"}), ElementsAre(true));
  EXPECT_THAT(Mark(*d, "one", {"a"}), ElementsAre(false));
}

TEST_P(DeduperSuite, IdIsRememberedForTheWholeWindowThenForgotten) {
  auto d = Make(absl::Hours(1));
  EXPECT_THAT(Mark(*d, "ws", {"a"}), ElementsAre(true));
  clock_.Advance(absl::Minutes(59));
  EXPECT_THAT(Mark(*d, "ws", {"a", "b"}), ElementsAre(false, true));
  clock_.Advance(absl::Minutes(59) + absl::Seconds(59));  // "b" is 1 s short of the window
  EXPECT_THAT(Mark(*d, "ws", {"b"}), ElementsAre(false));
  clock_.Advance(Forgotten(absl::Hours(1)));
  EXPECT_THAT(Mark(*d, "ws", {"a", "b"}), ElementsAre(true, true));
}

TEST_P(DeduperSuite, WindowHoldsWhateverThePhase) {
  // Ids recorded at many offsets stay duplicates for the whole window, then are forgotten.
  const absl::Duration window = absl::Minutes(10);
  auto d = Make(window);
  for (int step = 0; step < 30; ++step) {
    const std::string id = absl::StrCat("id-", step);
    EXPECT_THAT(Mark(*d, "ws", {id}), ElementsAre(true)) << step;
    clock_.Advance(window - absl::Seconds(1));
    EXPECT_THAT(Mark(*d, "ws", {id}), ElementsAre(false)) << step;
    clock_.Advance(Forgotten(window) - window + absl::Seconds(2));
    EXPECT_THAT(Mark(*d, "ws", {id}), ElementsAre(true)) << step;
    clock_.Advance(absl::Seconds(37 * step + 11));
  }
}

TEST_P(DeduperSuite, ForgetMakesAnIdNewAgain) {
  auto d = Make();
  ASSERT_THAT(Mark(*d, "ws", {"a", "b"}), ElementsAre(true, true));
  std::vector<absl::string_view> forget = {"a"};
  d->Forget("ws", forget);
  EXPECT_THAT(Mark(*d, "ws", {"a", "b"}), ElementsAre(true, false));
}

TEST_P(DeduperSuite, LargeBatch) {
  auto d = Make();
  std::vector<std::string> ids;
  for (int i = 0; i < 2500; ++i) ids.push_back(absl::StrCat("event-", i));
  std::vector<absl::string_view> views(ids.begin(), ids.end());
  views.push_back("event-7");  // repeated at the end
  auto first = d->MarkNew("ws", views);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 2501u);
  EXPECT_TRUE((*first)[0] && (*first)[1999] && (*first)[2499]);
  EXPECT_FALSE((*first)[2500]);
  auto second = d->MarkNew("ws", views);
  ASSERT_TRUE(second.ok());
  for (bool fresh : *second) EXPECT_FALSE(fresh);
}

TEST_P(DeduperSuite, ConcurrentCallersSeeEachIdNewExactlyOnce) {
  auto d = Make();
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) ids.push_back(absl::StrCat("e", i));
  std::atomic<int> fresh{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      // Each thread sends the ids in its own order and batch size.
      for (size_t start = 0; start < ids.size(); start += 10 + t) {
        std::vector<absl::string_view> batch;
        for (size_t i = start; i < std::min(ids.size(), start + 10 + t); ++i) {
          batch.push_back(ids[(i * (t + 1)) % ids.size()]);
        }
        auto r = d->MarkNew("ws", batch);
        ASSERT_TRUE(r.ok()) << r.status();
        for (bool f : *r) fresh += f ? 1 : 0;
      }
    });
  }
  for (auto& th : threads) th.join();
  // Thread 0 alone covers every id, so every id was sent; each must be new exactly once.
  EXPECT_EQ(fresh.load(), 200);
}

}  // namespace
}  // namespace tracegate::dedupe::testing
