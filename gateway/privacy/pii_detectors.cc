#include "gateway/privacy/pii_detectors.h"

#include <arpa/inet.h>

#include <cstring>

namespace tracegate::privacy::internal {
namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool IsWord(char c) { return IsDigit(c) || IsAlpha(c) || c == '_'; }
inline bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline bool IsLocalChar(char c) {
  return IsDigit(c) || IsAlpha(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
inline bool IsTokenChar(char c) { return IsDigit(c) || IsAlpha(c) || c == '_' || c == '-'; }

// Character classes that can start a match (a table keeps the common case, a letter in
// the middle of a word, to one load and a branch).
enum Trigger : uint8_t {
  kAt = 1,
  kDigit = 2,
  kPlus = 4,
  kParen = 8,
  kHexColon = 16,
  kSecretStart = 32
};

struct TriggerTable {
  uint8_t t[256] = {0};
  constexpr TriggerTable() {
    t[static_cast<unsigned char>('@')] = kAt;
    for (char c = '0'; c <= '9'; ++c) t[static_cast<unsigned char>(c)] = kDigit | kHexColon;
    t[static_cast<unsigned char>('+')] = kPlus;
    t[static_cast<unsigned char>('(')] = kParen;
    t[static_cast<unsigned char>(':')] = kHexColon;
    for (char c = 'a'; c <= 'f'; ++c) t[static_cast<unsigned char>(c)] |= kHexColon;
    for (char c = 'A'; c <= 'F'; ++c) t[static_cast<unsigned char>(c)] |= kHexColon;
    for (char c : {'B', 'b', 's', 'p', 't', 'A', 'e'})
      t[static_cast<unsigned char>(c)] |= kSecretStart;
  }
};
constexpr TriggerTable kTriggers;

class Scanner {
 public:
  Scanner(absl::string_view s, KindSet enabled, Spans* out)
      : s_(s), n_(s.size()), on_(enabled), out_(out) {}

  void Run() {
    size_t i = 0;
    while (i < n_) {
      const uint8_t t = kTriggers.t[static_cast<unsigned char>(s_[i])];
      if (t == 0) {
        ++i;
        continue;
      }
      if ((t & kAt) && On(kEmail) && Email(i)) {
        i = out_->back().end;
        continue;
      }
      Span m;
      if (BoundaryBefore(i) && Match(i, t, &m)) {
        out_->push_back(m);
        i = m.end;
        continue;
      }
      ++i;
    }
  }

 private:
  bool On(PiiKind k) const { return (on_ & KindBit(k)) != 0; }
  char At(size_t i) const { return i < n_ ? s_[i] : '\0'; }
  bool BoundaryBefore(size_t i) const { return i == 0 || !IsWord(s_[i - 1]); }
  bool BoundaryAfter(size_t end) const { return end >= n_ || !IsWord(s_[end]); }
  // After a number: no further digit, letter or "." + digit (a longer number).
  bool NumberEnds(size_t end) const {
    if (end >= n_) return true;
    const char c = s_[end];
    if (IsWord(c)) return false;
    if ((c == '.' || c == '-') && IsDigit(At(end + 1))) return false;
    return true;
  }

  // The first detector that matches at `i` (a token start) fills `m`.
  bool Match(size_t i, uint8_t t, Span* m) {
    if ((t & kSecretStart) && On(kSecret) && Secret(i, m)) return true;
    size_t end = kNone;
    int kind = kPhone;
    if (t & kDigit) {
      if (On(kIp) && (end = Ipv4(i)) != kNone) {
        kind = kIp;
      } else if (On(kCard) && (end = Card(i)) != kNone) {
        kind = kCard;
      } else if (On(kPhone)) {
        end = DomesticPhone(i);
      }
    }
    if (end == kNone && (t & kPlus) && On(kPhone)) end = International(i);
    if (end == kNone && (t & kParen) && On(kPhone)) end = Parenthesised(i);
    if (end == kNone && (t & kHexColon) && On(kIp) && (end = Ipv6(i)) != kNone) kind = kIp;
    if (end == kNone) return false;
    *m = Span{i, end, kind};
    return true;
  }

  // ---- email: found at its '@', the local part is scanned backwards ----
  bool Email(size_t at) {
    size_t l = at;
    while (l > 0 && IsLocalChar(s_[l - 1])) --l;
    while (l < at && s_[l] == '.') ++l;
    if (l == at) return false;
    size_t d = at + 1;
    while (d < n_ && (IsDigit(s_[d]) || IsAlpha(s_[d]) || s_[d] == '-' || s_[d] == '.')) ++d;
    size_t end = d;
    while (end > at + 1 && (s_[end - 1] == '.' || s_[end - 1] == '-')) --end;
    // Labels non-empty, at least two, TLD >= 2 letters.
    size_t label_start = at + 1;
    int labels = 0;
    for (size_t p = at + 1; p <= end; ++p) {
      if (p == end || s_[p] == '.') {
        if (p == label_start) return false;
        ++labels;
        label_start = p + 1;
      }
    }
    if (labels < 2) return false;
    size_t tld = end;
    while (tld > at + 1 && s_[tld - 1] != '.') --tld;
    if (end - tld < 2) return false;
    for (size_t p = tld; p < end; ++p) {
      if (!IsAlpha(s_[p])) return false;
    }
    if (end < n_ && s_[end] == '_') return false;
    // An email wins over matches found inside its local part (e.g. 13812345678@qq.com).
    while (!out_->empty() && out_->back().begin >= l) out_->pop_back();
    if (!out_->empty() && out_->back().end > l) l = out_->back().end;
    if (l >= at) return false;
    out_->push_back(Span{l, end, kEmail});
    return true;
  }

  // ---- numbers: IPv4, card, phone ----
  size_t Ipv4(size_t i) const {
    size_t p = i;
    for (int part = 0; part < 4; ++part) {
      int value = 0;
      size_t digits = 0;
      while (digits < 4 && IsDigit(At(p))) {
        value = value * 10 + (s_[p] - '0');
        ++p;
        ++digits;
      }
      if (digits == 0 || digits > 3 || value > 255) return kNone;
      if (part < 3) {
        if (At(p) != '.') return kNone;
        ++p;
      }
    }
    return NumberEnds(p) ? p : kNone;
  }

  size_t Card(size_t i) const {
    if (s_[i] < '2' || s_[i] > '6') return kNone;
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
      while (IsDigit(At(p))) {
        if (count == 19) {
          overflow = true;  // more than 19 digits without a separator here
          break;
        }
        digits[count++] = s_[p++];
      }
      if (overflow) break;
      ends[n_ends++] = GroupEnd{p, count};
      if ((At(p) == ' ' || At(p) == '-') && IsDigit(At(p + 1)) && n_ends < 20) {
        ++p;
        continue;
      }
      break;
    }
    // The longest grouping that is a card number wins.
    for (size_t k = n_ends; k-- > 0;) {
      const GroupEnd& e = ends[k];
      if (e.count < 13 || !NumberEnds(e.pos)) continue;
      if (LuhnValid(absl::string_view(digits, e.count))) return e.pos;
    }
    return kNone;
  }

  // Matches groups of exactly `sizes[k]` digits separated by one character from `seps`
  // (the same character throughout when `same_sep`); returns the end or kNone.
  size_t Groups(size_t i, std::initializer_list<int> sizes, const char* seps, bool same_sep) const {
    size_t p = i;
    char sep = 0;
    bool first = true;
    for (int size : sizes) {
      if (!first) {
        const char c = At(p);
        if (c == '\0' || std::strchr(seps, c) == nullptr) return kNone;
        if (same_sep && sep != 0 && c != sep) return kNone;
        sep = c;
        ++p;
      }
      first = false;
      for (int k = 0; k < size; ++k) {
        if (!IsDigit(At(p))) return kNone;
        ++p;
      }
    }
    return NumberEnds(p) ? p : kNone;
  }

  bool CnMobileAt(size_t p) const { return At(p) == '1' && At(p + 1) >= '3' && At(p + 1) <= '9'; }

  size_t DomesticPhone(size_t i) const {
    size_t e;
    if (CnMobileAt(i)) {
      if ((e = Groups(i, {11}, "", false)) != kNone) return e;
      if ((e = Groups(i, {3, 4, 4}, " -", true)) != kNone) return e;
    }
    if (At(i) == '8' && At(i + 1) == '6' && CnMobileAt(i + 2) &&
        (e = Groups(i, {13}, "", false)) != kNone) {
      return e;
    }
    if (At(i) == '0') {
      for (int area : {3, 4}) {
        for (int local : {8, 7}) {
          if ((e = Groups(i, {area, local}, "-", false)) != kNone) return e;
        }
      }
    }
    if ((e = Groups(i, {3, 3, 4}, "-. ", true)) != kNone) return e;
    return kNone;
  }

  // "+" CC ... : 8..15 digits; separators are runs of at most two of " -.()".
  size_t International(size_t i) const {
    size_t p = i + 1;
    if (!IsDigit(At(p)) || At(p) == '0') return kNone;
    size_t digits = 0;
    size_t last_digit_end = kNone;
    int sep_run = 0;
    while (p < n_) {
      const char c = s_[p];
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
    if (digits < 8 || digits > 15 || last_digit_end == kNone) return kNone;
    return NumberEnds(last_digit_end) ? last_digit_end : kNone;
  }

  // "(415) 555-2671", "(010) 12345678", "(0755)1234567".
  size_t Parenthesised(size_t i) const {
    size_t p = i + 1;
    size_t area = 0;
    while (IsDigit(At(p + area))) ++area;
    if (At(p + area) != ')') return kNone;
    const bool cn = At(p) == '0' && (area == 3 || area == 4);
    if (area != 3 && !cn) return kNone;
    p += area + 1;
    if (At(p) == ' ') ++p;
    size_t e;
    if (area == 3 && At(i + 1) != '0' && (e = Groups(p, {3, 4}, "-. ", false)) != kNone) return e;
    if (cn) {
      for (int local : {8, 7}) {
        if ((e = Groups(p, {local}, "", false)) != kNone) return e;
      }
    }
    return kNone;
  }

  // ---- IPv6 ----
  size_t Ipv6(size_t i) const {
    if (i > 0 && (s_[i - 1] == ':' || s_[i - 1] == '.')) return kNone;
    size_t p = i;
    int colons = 0;
    bool hex = false;
    while (p < n_ && p - i <= 45) {
      const char c = s_[p];
      if (c == ':') {
        ++colons;
      } else if (IsHex(c)) {
        hex = true;
      } else if (c != '.') {
        break;
      }
      ++p;
    }
    if (colons < 2 || !hex) return kNone;
    if (p < n_ && IsWord(s_[p])) return kNone;
    size_t end = p;
    while (end > i && s_[end - 1] == '.') --end;
    for (int attempt = 0; attempt < 2; ++attempt) {
      const size_t len = end - i;
      if (len < 2 || len > 45) return kNone;
      char buf[46];
      std::memcpy(buf, s_.data() + i, len);
      buf[len] = '\0';
      unsigned char addr[16];
      if (inet_pton(AF_INET6, buf, addr) == 1) return end;
      // "fe80::1:" at the end of a sentence: drop one trailing ':' and retry.
      if (s_[end - 1] != ':' || (end - 2 >= i && s_[end - 2] == ':')) return kNone;
      --end;
    }
    return kNone;
  }

  // ---- credentials ----
  static bool StartsWithNoCase(absl::string_view s, size_t i, absl::string_view prefix) {
    if (s.size() - i < prefix.size()) return false;
    for (size_t k = 0; k < prefix.size(); ++k) {
      char a = s[i + k];
      if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
      if (a != prefix[k]) return false;
    }
    return true;
  }

  size_t RunOf(size_t p, bool (*pred)(char)) const {
    while (p < n_ && pred(s_[p])) ++p;
    return p;
  }

  static bool IsCredentialChar(char c) {
    return IsDigit(c) || IsAlpha(c) || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' ||
           c == '=' || c == '-';
  }
  static bool IsUpperAlnum(char c) { return IsDigit(c) || (c >= 'A' && c <= 'Z'); }
  static bool IsJwtChar(char c) { return IsTokenChar(c) || c == '.'; }

  bool Secret(size_t i, Span* m) const {
    // "Bearer <token>" / "Basic <token>": the token is the secret; the scheme word stays.
    for (absl::string_view scheme : {absl::string_view("bearer"), absl::string_view("basic")}) {
      if (StartsWithNoCase(s_, i, scheme) && At(i + scheme.size()) == ' ') {
        size_t p = i + scheme.size();
        while (At(p) == ' ') ++p;
        const size_t e = RunOf(p, IsCredentialChar);
        if (e - p < 8) return false;
        *m = Span{p, e, kSecret};
        return true;
      }
    }
    size_t e = kNone;
    const absl::string_view rest = s_.substr(i);
    if (rest.substr(0, 6) == "sk-lf-" || rest.substr(0, 6) == "pk-lf-") {
      e = RunOf(i + 6, IsTokenChar);
      if (e - i < 14) e = kNone;
    } else if (rest.substr(0, 3) == "sk-") {
      e = RunOf(i + 3, IsTokenChar);
      if (e - i < 23) e = kNone;
    } else if (rest.substr(0, 3) == "tg_") {
      e = RunOf(i + 3, IsTokenChar);
      if (e - i < 11) e = kNone;
    } else if (rest.substr(0, 4) == "AKIA") {
      e = RunOf(i + 4, IsUpperAlnum);
      if (e - i != 20) e = kNone;
    } else if (rest.substr(0, 3) == "eyJ") {
      e = RunOf(i, IsJwtChar);
      const absl::string_view token = s_.substr(i, e - i);
      const size_t dot = token.find('.');
      if (token.size() < 30 || dot == absl::string_view::npos ||
          token.substr(dot + 1, 3) != "eyJ" ||
          token.find('.', dot + 1) == absl::string_view::npos) {
        e = kNone;
      }
    }
    if (e == kNone || !BoundaryAfter(e)) return false;
    *m = Span{i, e, kSecret};
    return true;
  }

  absl::string_view s_;
  size_t n_;
  KindSet on_;
  Spans* out_;
};

}  // namespace

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

void FindBuiltin(absl::string_view text, KindSet enabled, Spans* out) {
  Scanner(text, enabled, out).Run();
}

}  // namespace tracegate::privacy::internal
