#include "tests/testing/alloc_counter.h"

#include <cstdlib>
#include <new>

namespace tracegate::testing {

std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};

}  // namespace tracegate::testing

void* operator new(std::size_t size) {
  if (tracegate::testing::g_counting.load(std::memory_order_relaxed)) {
    tracegate::testing::g_allocations.fetch_add(1);
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
