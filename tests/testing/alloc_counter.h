// Counts heap allocations for "this hot path does not allocate" tests.
//
// Linking tracegate_test_alloc_counter replaces the global operator new/delete of the test
// binary: while `g_counting` is true every operator new adds one to `g_allocations`.
//
//   g_allocations = 0;
//   g_counting = true;
//   RunHotPath();
//   g_counting = false;
//   EXPECT_EQ(g_allocations.load(), 0);
#pragma once

#include <atomic>

namespace tracegate::testing {

extern std::atomic<bool> g_counting;
extern std::atomic<long> g_allocations;

}  // namespace tracegate::testing
