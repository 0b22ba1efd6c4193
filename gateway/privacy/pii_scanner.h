// Finds personal data and credentials in text and replaces them with labels:
// "[EMAIL]", "[PHONE]", "[CARD]", "[IP]", "[SECRET]" and "[NAME]" for a custom pattern
// called "name". The built-in kinds are described in pii_detectors.h; custom patterns are
// RE2 regular expressions (all of them compiled into one alternation, one pass per text).
//
//   auto scanner = PiiScanner::Create({.builtins = kAllPii, .custom = {{"order",
//   "ORD-[0-9]{8}"}}}); std::string out; if ((*scanner)->Redact("mail bob@example.com",
//   PiiScanner::kAll, &out)) {
//     // out == "mail [EMAIL]"
//   }
//
// Scope kSecretsOnly finds credentials only (what the "full" capture mode still removes).
// Overlaps: matches are taken in text order; a custom match overlapping an earlier one is
// skipped. Status: Create returns INVALID_ARGUMENT for a pattern that does not compile
// (the message names the pattern, never the text it is applied to).
// Thread-safety: immutable after Create; Find/Redact may be called from any thread.
// Cost: a text with no match is scanned once and nothing is allocated.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/privacy/pii_detectors.h"

namespace re2 {
class RE2;
}

namespace tracegate::privacy {

inline constexpr internal::KindSet kAllPii =
    internal::KindBit(internal::kEmail) | internal::KindBit(internal::kPhone) |
    internal::KindBit(internal::kCard) | internal::KindBit(internal::kIp);

struct CustomPatternSpec {
  std::string name;   // [a-z0-9_]+; the label is its upper-case form in brackets
  std::string regex;  // RE2 syntax
};

struct PiiScannerOptions {
  // Built-in PII kinds (bits of internal::KindBit); credentials are always on.
  internal::KindSet builtins = kAllPii;
  std::vector<CustomPatternSpec> custom;
};

class PiiScanner {
 public:
  enum Scope { kSecretsOnly, kAll };

  static absl::StatusOr<std::unique_ptr<PiiScanner>> Create(const PiiScannerOptions& options);
  ~PiiScanner();

  // Matches in text order, not overlapping (appended to `out`).
  void Find(absl::string_view text, Scope scope, internal::Spans* out) const;

  // When something matches: writes `text` with every match replaced by its label to
  // `*out` (replacing its contents) and returns true. Otherwise returns false and leaves
  // `*out` alone.
  bool Redact(absl::string_view text, Scope scope, std::string* out) const;

  // The label of a match, e.g. "[EMAIL]".
  absl::string_view Label(int label) const;

 private:
  PiiScanner() = default;

  internal::KindSet builtins_ = 0;
  std::vector<std::string> custom_labels_;
  std::unique_ptr<re2::RE2> custom_;  // (p0)|(p1)|...; null without custom patterns
};

}  // namespace tracegate::privacy
