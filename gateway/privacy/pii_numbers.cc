// The number detectors: IPv4, card numbers (Luhn), phone numbers. Each first measures the
// digit run at its start, so the numbers of ordinary prose ("5", "12.50", "2024-01-15")
// are turned down after a comparison or two.
#include <cstring>

#include "gateway/privacy/pii_detectors.h"
#include "gateway/privacy/pii_text.h"

namespace tracegate::privacy::internal {
namespace {

bool CnMobileAt(const Text& t, size_t p) {
  return t.At(p) == '1' && t.At(p + 1) >= '3' && t.At(p + 1) <= '9';
}

// Groups of exactly sizes[k] digits separated by one character of `seps` (the same one
// throughout when `same_sep`), ending where a number ends; the end or kNoMatch.
size_t Groups(const Text& t, size_t i, std::initializer_list<int> sizes, const char* seps,
              bool same_sep) {
  size_t p = i;
  char sep = 0;
  bool first = true;
  for (int size : sizes) {
    if (!first) {
      const char c = t.At(p);
      if (c == '\0' || std::strchr(seps, c) == nullptr) return kNoMatch;
      if (same_sep && sep != 0 && c != sep) return kNoMatch;
      sep = c;
      ++p;
    }
    first = false;
    if (t.DigitRun(p) != static_cast<size_t>(size)) return kNoMatch;
    p += size;
  }
  return t.NumberEnds(p) ? p : kNoMatch;
}

}  // namespace

size_t MatchIpv4(const Text& t, size_t i) {
  size_t p = i;
  for (int part = 0; part < 4; ++part) {
    const size_t digits = t.DigitRun(p);
    if (digits == 0 || digits > 3) return kNoMatch;
    int value = 0;
    for (size_t k = 0; k < digits; ++k) value = value * 10 + (t.s[p + k] - '0');
    if (value > 255) return kNoMatch;
    p += digits;
    if (part < 3) {
      if (t.At(p) != '.') return kNoMatch;
      ++p;
    }
  }
  return t.NumberEnds(p) ? p : kNoMatch;
}

size_t MatchCard(const Text& t, size_t i) {
  const char first = t.s[i];
  if (first < '2' || first > '6') return kNoMatch;
  const size_t run = t.DigitRun(i);
  const char after = t.At(i + run);
  if (run < 13 && after != ' ' && after != '-') return kNoMatch;  // too short, not grouped
  char digits[19];
  size_t count = 0;
  struct GroupEnd {
    size_t pos;
    size_t count;
  };
  GroupEnd ends[20];
  size_t n_ends = 0;
  size_t p = i;
  bool overflow = false;
  for (;;) {
    while (IsDigit(t.At(p))) {
      if (count == 19) {
        overflow = true;  // more than 19 digits without a separator here
        break;
      }
      digits[count++] = t.s[p++];
    }
    if (overflow) break;
    ends[n_ends++] = GroupEnd{p, count};
    if ((t.At(p) == ' ' || t.At(p) == '-') && IsDigit(t.At(p + 1)) && n_ends < 20) {
      ++p;
      continue;
    }
    break;
  }
  // The longest grouping that is a card number wins.
  for (size_t k = n_ends; k-- > 0;) {
    const GroupEnd& e = ends[k];
    if (e.count < 13 || !t.NumberEnds(e.pos)) continue;
    if (LuhnValid(absl::string_view(digits, e.count))) return e.pos;
  }
  return kNoMatch;
}

size_t MatchDomesticPhone(const Text& t, size_t i) {
  const size_t run = t.DigitRun(i);
  const char after = t.At(i + run);
  size_t e;
  switch (run) {
    case 11:  // CN mobile
      return CnMobileAt(t, i) && t.NumberEnds(i + 11) ? i + 11 : kNoMatch;
    case 13:  // 86 + CN mobile
      return t.At(i) == '8' && t.At(i + 1) == '6' && CnMobileAt(t, i + 2) && t.NumberEnds(i + 13)
                 ? i + 13
                 : kNoMatch;
    case 3:
      // CN mobile grouped 3-4-4, CN landline 0dd-d{7,8}, North American ddd-ddd-dddd.
      if (CnMobileAt(t, i) && (e = Groups(t, i, {3, 4, 4}, " -", true)) != kNoMatch) return e;
      if (t.At(i) == '0' && after == '-') {
        if ((e = Groups(t, i, {3, 8}, "-", false)) != kNoMatch) return e;
        if ((e = Groups(t, i, {3, 7}, "-", false)) != kNoMatch) return e;
      }
      return Groups(t, i, {3, 3, 4}, "-. ", true);
    case 4:
      if (t.At(i) == '0' && after == '-') {
        if ((e = Groups(t, i, {4, 8}, "-", false)) != kNoMatch) return e;
        return Groups(t, i, {4, 7}, "-", false);
      }
      return kNoMatch;
    default:
      return kNoMatch;
  }
}

// "+" CC ... : 8..15 digits; separators are runs of at most two of " -.()".
size_t MatchInternationalPhone(const Text& t, size_t i) {
  size_t p = i + 1;
  if (!IsDigit(t.At(p)) || t.At(p) == '0') return kNoMatch;
  size_t digits = 0;
  size_t last_digit_end = kNoMatch;
  int sep_run = 0;
  while (p < t.size()) {
    const char c = t.s[p];
    if (IsDigit(c)) {
      ++digits;
      sep_run = 0;
      last_digit_end = p + 1;
    } else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') {
      if (++sep_run > 2) break;
    } else {
      break;
    }
    ++p;
  }
  if (digits < 8 || digits > 15 || last_digit_end == kNoMatch) return kNoMatch;
  return t.NumberEnds(last_digit_end) ? last_digit_end : kNoMatch;
}

// "(415) 555-2671", "(010) 12345678", "(0755)1234567".
size_t MatchParenthesisedPhone(const Text& t, size_t i) {
  size_t p = i + 1;
  const size_t area = t.DigitRun(p);
  if (t.At(p + area) != ')') return kNoMatch;
  const bool cn = t.At(p) == '0' && (area == 3 || area == 4);
  if (area != 3 && !cn) return kNoMatch;
  p += area + 1;
  if (t.At(p) == ' ') ++p;
  size_t e;
  if (area == 3 && t.At(i + 1) != '0' && (e = Groups(t, p, {3, 4}, "-. ", false)) != kNoMatch) {
    return e;
  }
  if (cn) {
    if ((e = Groups(t, p, {8}, "", false)) != kNoMatch) return e;
    if ((e = Groups(t, p, {7}, "", false)) != kNoMatch) return e;
  }
  return kNoMatch;
}

bool LuhnValid(absl::string_view digits) {
  int sum = 0;
  bool dbl = false;
  for (size_t k = digits.size(); k-- > 0;) {
    int d = digits[k] - '0';
    if (d < 0 || d > 9) return false;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return !digits.empty() && sum % 10 == 0;
}

}  // namespace tracegate::privacy::internal
