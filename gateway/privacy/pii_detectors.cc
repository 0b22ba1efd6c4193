#include "gateway/privacy/pii_detectors.h"

#include <arpa/inet.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <cstring>

#include "gateway/privacy/pii_detectors.h"
#include "gateway/privacy/pii_text.h"

namespace tracegate::privacy::internal {
namespace {

inline bool IsLocalChar(char c) {
  return IsDigit(c) || IsAlpha(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
inline bool IsTokenChar(char c) { return IsDigit(c) || IsAlpha(c) || c == '_' || c == '-'; }
inline bool IsCredentialChar(char c) {
  return IsDigit(c) || IsAlpha(c) || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' ||
         c == '=' || c == '-';
}
inline bool IsUpperAlnum(char c) { return IsDigit(c) || (c >= 'A' && c <= 'Z'); }
inline bool IsJwtChar(char c) { return IsTokenChar(c) || c == '.'; }

// What a byte can start. Letters and digits are kAlnum: inside a word nothing can start,
// so the scanner skips the rest of a word in a tight loop after trying its first byte.
// Only a few word-start bytes are worth a try (digits; A, B, b, e for credentials);
// everything else is found from a rarer byte: '@' (e-mail), '+' and '(' (phones),
// ':' (IPv6, looking back over up to 4 hex digits), '-' and '_' (sk-…, pk-lf-…, tg_…,
// looking back over the prefix).
enum Trigger : uint8_t {
  kAlnum = 1,
  kDigitStart = 2,
  kCredentialStart = 4,
  kAt = 8,
  kPlus = 16,
  kParen = 32,
  kColon = 64,
  kDashOrUnderscore = 128,
};

struct TriggerTable {
  uint8_t t[256] = {0};
  constexpr TriggerTable() {
    for (char c = 'a'; c <= 'z'; ++c) t[static_cast<unsigned char>(c)] = kAlnum;
    for (char c = 'A'; c <= 'Z'; ++c) t[static_cast<unsigned char>(c)] = kAlnum;
    for (char c = '0'; c <= '9'; ++c) t[static_cast<unsigned char>(c)] = kAlnum | kDigitStart;
    for (char c : {'A', 'B', 'b', 'e'}) t[static_cast<unsigned char>(c)] |= kCredentialStart;
    t[static_cast<unsigned char>('@')] = kAt;
    t[static_cast<unsigned char>('+')] = kPlus;
    t[static_cast<unsigned char>('(')] = kParen;
    t[static_cast<unsigned char>(':')] = kColon;
    t[static_cast<unsigned char>('-')] = kDashOrUnderscore;
    t[static_cast<unsigned char>('_')] = kDashOrUnderscore;
  }
};
constexpr TriggerTable kTriggers;

// The index of the first byte at or after `i` that is not an ASCII letter or digit.
inline size_t SkipAlnum(const char* s, size_t i, size_t n) {
#ifdef __SSE2__
  const __m128i fold = _mm_set1_epi8(0x20);
  const __m128i a = _mm_set1_epi8('a' - 1), z = _mm_set1_epi8('z' + 1);
  const __m128i d0 = _mm_set1_epi8('0' - 1), d9 = _mm_set1_epi8('9' + 1);
  while (i + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    const __m128i lower = _mm_or_si128(v, fold);  // bytes >= 0x80 stay negative: no match
    const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(lower, a), _mm_cmplt_epi8(lower, z));
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, d0), _mm_cmplt_epi8(v, d9));
    const unsigned other =
        ~static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(letter, digit))) & 0xFFFFu;
    if (other != 0) return i + static_cast<size_t>(__builtin_ctz(other));
    i += 16;
  }
#endif
  while (i < n && (kTriggers.t[static_cast<unsigned char>(s[i])] & kAlnum)) ++i;
  return i;
}

bool StartsWithNoCase(absl::string_view s, size_t i, absl::string_view prefix) {
  if (s.size() - i < prefix.size()) return false;
  for (size_t k = 0; k < prefix.size(); ++k) {
    char a = s[i + k];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != prefix[k]) return false;
  }
  return true;
}

class Scanner {
 public:
  Scanner(absl::string_view s, KindSet enabled, Spans* out)
      : t_{s}, s_(s), n_(s.size()), on_(enabled), out_(out), first_(out->size()) {}

  void Run() {
    const char* s = s_.data();
    size_t i = 0;
    while (i < n_) {
      const uint8_t k = kTriggers.t[static_cast<unsigned char>(s[i])];
      if (k == 0) {
        ++i;
        continue;
      }
      Span m;
      if (k & kAlnum) {
        if ((k & (kDigitStart | kCredentialStart)) && t_.BoundaryBefore(i) && WordStart(i, k, &m)) {
          Push(m, &i);
          continue;
        }
        i = SkipAlnum(s, i + 1, n_);
        continue;
      }
      if (((k & kAt) && On(kEmail) && Email(i)) || ((k & ~kAt) && Punctuation(i, k, &m))) {
        if (k & kAt) {
          i = out_->back().end;
        } else {
          Push(m, &i);
        }
        continue;
      }
      ++i;
    }
  }

 private:
  bool On(PiiKind k) const { return (on_ & KindBit(k)) != 0; }
  char At(size_t i) const { return t_.At(i); }
  // Where a match found by looking back may start: after the last match of this scan.
  size_t Floor() const { return out_->size() > first_ ? out_->back().end : 0; }
  void Push(const Span& m, size_t* i) {
    out_->push_back(m);
    *i = m.end;
  }
  size_t RunOf(size_t p, bool (*pred)(char)) const {
    while (p < n_ && pred(s_[p])) ++p;
    return p;
  }

  // At the first byte of a word (a digit, or a letter that may begin a credential).
  bool WordStart(size_t i, uint8_t k, Span* m) {
    if ((k & kCredentialStart) && On(kSecret) && Credential(i, m)) return true;
    if (!(k & kDigitStart)) return false;
    size_t end = kNoMatch;
    int kind = kPhone;
    if (On(kIp) && (end = MatchIpv4(t_, i)) != kNoMatch) {
      kind = kIp;
    } else if (On(kCard) && (end = MatchCard(t_, i)) != kNoMatch) {
      kind = kCard;
    } else if (On(kPhone)) {
      end = MatchDomesticPhone(t_, i);
    }
    if (end == kNoMatch) return false;
    *m = Span{i, end, kind};
    return true;
  }

  // At '+', '(', ':', '-' or '_'.
  bool Punctuation(size_t i, uint8_t k, Span* m) {
    size_t end = kNoMatch;
    if ((k & (kPlus | kParen)) && On(kPhone) && t_.BoundaryBefore(i)) {
      end = (k & kPlus) ? MatchInternationalPhone(t_, i) : MatchParenthesisedPhone(t_, i);
      if (end == kNoMatch) return false;
      *m = Span{i, end, kPhone};
      return true;
    }
    if ((k & kColon) && On(kIp)) {
      size_t start = i;
      while (start > 0 && i - start < 4 && IsHex(s_[start - 1])) --start;
      if (start < Floor() || !t_.BoundaryBefore(start)) return false;
      if ((end = Ipv6(start)) == kNoMatch) return false;
      *m = Span{start, end, kIp};
      return true;
    }
    if ((k & kDashOrUnderscore) && On(kSecret) && i >= 2 && i - 2 >= Floor() &&
        t_.BoundaryBefore(i - 2)) {
      const absl::string_view prefix = s_.substr(i - 2, 3);
      if (prefix == "sk-" || prefix == "pk-" || prefix == "tg_") return Credential(i - 2, m);
    }
    return false;
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
    while (out_->size() > first_ && out_->back().begin >= l) out_->pop_back();
    if (out_->size() > first_ && out_->back().end > l) l = out_->back().end;
    if (l >= at) return false;
    out_->push_back(Span{l, end, kEmail});
    return true;
  }

  // ---- IPv6 ----
  size_t Ipv6(size_t i) const {
    if (i > 0 && (s_[i - 1] == ':' || s_[i - 1] == '.')) return kNoMatch;
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
    if (colons < 2 || !hex) return kNoMatch;
    if (p < n_ && IsWord(s_[p])) return kNoMatch;
    size_t end = p;
    while (end > i && s_[end - 1] == '.') --end;
    for (int attempt = 0; attempt < 2; ++attempt) {
      const size_t len = end - i;
      if (len < 2 || len > 45) return kNoMatch;
      char buf[46];
      std::memcpy(buf, s_.data() + i, len);
      buf[len] = '\0';
      unsigned char addr[16];
      if (inet_pton(AF_INET6, buf, addr) == 1) return end;
      // "fe80::1:" at the end of a sentence: drop one trailing ':' and retry.
      if (s_[end - 1] != ':' || (end - 2 >= i && s_[end - 2] == ':')) return kNoMatch;
      --end;
    }
    return kNoMatch;
  }

  // ---- credentials ----
  bool Credential(size_t i, Span* m) const {
    size_t e = kNoMatch;
    switch (s_[i]) {
      case 'B':
      case 'b': {
        // "Bearer <token>" / "Basic <token>": the token is the secret; the scheme stays.
        size_t p = kNoMatch;
        if (StartsWithNoCase(s_, i, "bearer ")) p = i + 7;
        if (StartsWithNoCase(s_, i, "basic ")) p = i + 6;
        if (p == kNoMatch) return false;
        while (At(p) == ' ') ++p;
        const size_t end = RunOf(p, IsCredentialChar);
        if (end - p < 8) return false;
        *m = Span{p, end, kSecret};
        return true;
      }
      case 's':
        if (At(i + 1) != 'k' || At(i + 2) != '-') return false;
        if (At(i + 3) == 'l' && At(i + 4) == 'f' && At(i + 5) == '-') {
          e = RunOf(i + 6, IsTokenChar);
          if (e - i < 14) return false;
        } else {
          e = RunOf(i + 3, IsTokenChar);
          if (e - i < 23) return false;
        }
        break;
      case 'p':
        if (s_.substr(i, 6) != "pk-lf-") return false;
        e = RunOf(i + 6, IsTokenChar);
        if (e - i < 14) return false;
        break;
      case 't':
        if (At(i + 1) != 'g' || At(i + 2) != '_') return false;
        e = RunOf(i + 3, IsTokenChar);
        if (e - i < 11) return false;
        break;
      case 'A':
        if (s_.substr(i, 4) != "AKIA") return false;
        e = RunOf(i + 4, IsUpperAlnum);
        if (e - i != 20) return false;
        break;
      case 'e': {
        if (At(i + 1) != 'y' || At(i + 2) != 'J') return false;
        e = RunOf(i, IsJwtChar);
        const absl::string_view token = s_.substr(i, e - i);
        const size_t dot = token.find('.');
        if (token.size() < 30 || dot == absl::string_view::npos ||
            token.substr(dot + 1, 3) != "eyJ" ||
            token.find('.', dot + 1) == absl::string_view::npos) {
          return false;
        }
        break;
      }
      default:
        return false;
    }
    if (!t_.BoundaryAfter(e)) return false;
    *m = Span{i, e, kSecret};
    return true;
  }

  Text t_;
  absl::string_view s_;
  size_t n_;
  KindSet on_;
  Spans* out_;
  size_t first_;
};

}  // namespace

void FindBuiltin(absl::string_view text, KindSet enabled, Spans* out) {
  Scanner(text, enabled, out).Run();
}

}  // namespace tracegate::privacy::internal
