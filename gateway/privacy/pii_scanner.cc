#include "gateway/privacy/pii_scanner.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "re2/re2.h"

namespace tracegate::privacy {
namespace {

using internal::Span;
using internal::Spans;

constexpr absl::string_view kBuiltinLabels[] = {"[EMAIL]", "[PHONE]", "[CARD]", "[IP]", "[SECRET]"};
constexpr int kMaxCustomPatterns = 64;

// Custom matches of `re` (one capture group per pattern) in text order.
void FindCustom(const re2::RE2& re, int groups, absl::string_view text, Spans* out) {
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece match[kMaxCustomPatterns + 1];
  size_t pos = 0;
  while (pos <= text.size() &&
         re.Match(input, pos, text.size(), RE2::UNANCHORED, match, groups + 1)) {
    const size_t begin = static_cast<size_t>(match[0].data() - text.data());
    const size_t end = begin + match[0].size();
    int which = 0;
    for (int g = 1; g <= groups; ++g) {
      if (match[g].data() != nullptr) {
        which = g - 1;
        break;
      }
    }
    if (end > begin) out->push_back(Span{begin, end, internal::kNumBuiltinKinds + which});
    pos = end > begin ? end : end + 1;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<PiiScanner>> PiiScanner::Create(const PiiScannerOptions& options) {
  auto scanner = std::unique_ptr<PiiScanner>(new PiiScanner());
  scanner->builtins_ = options.builtins & kAllPii;
  if (options.custom.size() > static_cast<size_t>(kMaxCustomPatterns)) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxCustomPatterns, " custom patterns"));
  }
  if (!options.custom.empty()) {
    std::string combined;
    RE2::Options re_options;
    re_options.set_log_errors(false);
    for (size_t i = 0; i < options.custom.size(); ++i) {
      const CustomPatternSpec& c = options.custom[i];
      RE2 alone(c.regex, re_options);
      if (!alone.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("custom pattern \"", c.name, "\": not a valid RE2 regular expression"));
      }
      absl::StrAppend(&combined, i == 0 ? "" : "|", "(", c.regex, ")");
      scanner->custom_labels_.push_back(absl::StrCat("[", absl::AsciiStrToUpper(c.name), "]"));
    }
    scanner->custom_ = std::make_unique<RE2>(combined, re_options);
    if (!scanner->custom_->ok()) {
      return absl::InvalidArgumentError("custom patterns: cannot be combined into one RE2");
    }
  }
  return scanner;
}

PiiScanner::~PiiScanner() = default;

void PiiScanner::Find(absl::string_view text, Scope scope, Spans* out) const {
  const size_t first = out->size();
  internal::KindSet kinds = internal::KindBit(internal::kSecret);
  if (scope == kAll) kinds |= builtins_;
  internal::FindBuiltin(text, kinds, out);
  if (scope != kAll || custom_ == nullptr) return;
  Spans custom;
  FindCustom(*custom_, static_cast<int>(custom_labels_.size()), text, &custom);
  if (custom.empty()) return;
  // Merge the two ordered lists; the earlier match wins an overlap.
  Spans merged;
  size_t a = first, b = 0;
  while (a < out->size() || b < custom.size()) {
    const bool take_a =
        b == custom.size() || (a < out->size() && (*out)[a].begin <= custom[b].begin);
    const Span& s = take_a ? (*out)[a++] : custom[b++];
    if (!merged.empty() && s.begin < merged.back().end) continue;
    merged.push_back(s);
  }
  out->resize(first);
  out->insert(out->end(), merged.begin(), merged.end());
}

bool PiiScanner::Redact(absl::string_view text, Scope scope, std::string* out) const {
  Spans spans;
  Find(text, scope, &spans);
  if (spans.empty()) return false;
  std::string result;
  result.reserve(text.size());
  size_t at = 0;
  for (const Span& s : spans) {
    result.append(text.data() + at, s.begin - at);
    const absl::string_view label = Label(s.label);
    result.append(label.data(), label.size());
    at = s.end;
  }
  result.append(text.data() + at, text.size() - at);
  *out = std::move(result);
  return true;
}

absl::string_view PiiScanner::Label(int label) const {
  if (label < internal::kNumBuiltinKinds) return kBuiltinLabels[label];
  return custom_labels_[label - internal::kNumBuiltinKinds];
}

}  // namespace tracegate::privacy
