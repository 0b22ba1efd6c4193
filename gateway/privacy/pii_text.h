// Internal to privacy/: character classes and a text cursor shared by the PII detectors
// (pii_detectors.cc, pii_numbers.cc). Header-only, no state.
#pragma once

#include <cstddef>

#include "absl/strings/string_view.h"

namespace tracegate::privacy::internal {

inline constexpr size_t kNoMatch = static_cast<size_t>(-1);

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool IsWord(char c) { return IsDigit(c) || IsAlpha(c) || c == '_'; }
inline bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// A text with bounds-safe access: At() past the end is '\0'.
struct Text {
  absl::string_view s;

  size_t size() const { return s.size(); }
  char At(size_t i) const { return i < s.size() ? s[i] : '\0'; }
  bool BoundaryBefore(size_t i) const { return i == 0 || !IsWord(s[i - 1]); }
  bool BoundaryAfter(size_t end) const { return end >= s.size() || !IsWord(s[end]); }
  // After a number: no further letter, digit, '_', or '.'/'-' followed by a digit.
  bool NumberEnds(size_t end) const {
    if (end >= s.size()) return true;
    const char c = s[end];
    if (IsWord(c)) return false;
    return !((c == '.' || c == '-') && IsDigit(At(end + 1)));
  }
  // Length of the run of digits starting at `i`.
  size_t DigitRun(size_t i) const {
    size_t p = i;
    while (p < s.size() && IsDigit(s[p])) ++p;
    return p - i;
  }
};

// Number detectors (pii_numbers.cc). Each is tried at a token boundary `i` and returns
// the end of its match or kNoMatch.
size_t MatchIpv4(const Text& t, size_t i);                // i: a digit
size_t MatchCard(const Text& t, size_t i);                // i: a digit
size_t MatchDomesticPhone(const Text& t, size_t i);       // i: a digit
size_t MatchInternationalPhone(const Text& t, size_t i);  // i: '+'
size_t MatchParenthesisedPhone(const Text& t, size_t i);  // i: '('

}  // namespace tracegate::privacy::internal
