// Shared bits of the libFuzzer targets in tests/fuzz: the fixed "now" they validate
// against, and Check(), which reports a broken invariant the way a fuzzer understands
// (abort, so libFuzzer saves the input and the replay test fails).
#pragma once

#include <cstdio>
#include <cstdlib>

#include "absl/time/time.h"

namespace tracegate::fuzz {

// 2026-01-01T00:00:00Z: corpus timestamps are chosen around it.
inline const absl::Time kNow = absl::FromUnixSeconds(1767225600);

#define TG_FUZZ_CHECK(cond, what)                                                            \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n", what, __FILE__, __LINE__); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)

}  // namespace tracegate::fuzz
