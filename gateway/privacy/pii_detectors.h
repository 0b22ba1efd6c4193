// Internal to privacy/: the built-in detectors behind PiiScanner, hand-written so that a
// 4 KB text is scanned in one pass without allocation (RE2 is used for custom patterns only).
//
// What they find (each match must start and end at a token boundary: the neighbouring
// characters are not ASCII letters, digits or '_'; non-ASCII text such as CJK counts as a
// boundary, so "手机13812345678" matches):
//   email   local@domain.tld (local [A-Za-z0-9._%+-], domain labels [A-Za-z0-9-], TLD >= 2
//           letters)
//   phone   +CC international (8..15 digits, separators space - . ( ) ); CN mobile
//           1[3-9]d{9} (also 86-prefixed, or grouped 3-4-4 by space or dash); CN landline
//           0dd(d)-d{7,8} and (0dd(d)) d{7,8}; North American ddd-ddd-dddd, ddd.ddd.dddd,
//           ddd ddd dddd, (ddd) ddd-dddd
//   card    13..19 digits, optionally grouped by single spaces or dashes, first digit 2-6
//           (the card networks' range; keeps millisecond timestamps out), Luhn check passes
//   ip      IPv4 dotted quad (each part <= 255); IPv6 in any form inet_pton accepts
//   secret  the credential after "Bearer " / "Basic "; Langfuse keys sk-lf-/pk-lf-…;
//           Tracegate keys tg_…; OpenAI-style sk-… (20+ chars); AWS AKIA…; JWTs eyJ….eyJ….…
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"

namespace tracegate::privacy::internal {

enum PiiKind : uint8_t { kEmail = 0, kPhone, kCard, kIp, kSecret, kNumBuiltinKinds };

// Bit set of PiiKind values.
using KindSet = uint32_t;
inline constexpr KindSet KindBit(PiiKind k) { return KindSet{1} << k; }

struct Span {
  size_t begin = 0;
  size_t end = 0;
  int label = 0;  // a PiiKind, or kNumBuiltinKinds + i for custom pattern i
};
using Spans = absl::InlinedVector<Span, 8>;

// Appends the matches of the enabled kinds, in text order and not overlapping.
void FindBuiltin(absl::string_view text, KindSet enabled, Spans* out);

// True when the digits (ASCII '0'..'9' only) pass the Luhn check.
bool LuhnValid(absl::string_view digits);

}  // namespace tracegate::privacy::internal
