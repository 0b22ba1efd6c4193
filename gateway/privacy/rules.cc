#include "gateway/privacy/rules.h"

#include <cmath>
#include <cstdio>

namespace tracegate::privacy::internal {

absl::string_view NormalizeKey(absl::string_view key, char (&buf)[64]) {
  size_t n = 0;
  for (char c : key) {
    if (c == '_' || c == '-' || c == '.' || c == ' ') continue;
    if (n == sizeof(buf)) return {};
    buf[n++] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return absl::string_view(buf, n);
}

bool TruncateUtf8(std::string* text, size_t max_chars) {
  if (text->size() <= max_chars) return false;  // bytes >= characters
  size_t chars = 0;
  for (size_t i = 0; i < text->size(); ++i) {
    const auto c = static_cast<unsigned char>((*text)[i]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    if (chars == max_chars) {
      text->resize(i);
      text->append("\xE2\x80\xA6");  // U+2026 HORIZONTAL ELLIPSIS
      return true;
    }
    ++chars;
  }
  return false;
}

Rules::Rules(const PolicyOptions& options, std::unique_ptr<PiiScanner> scanner)
    : capture_(options.capture),
      truncate_chars_(options.truncate_chars),
      hasher_(options.hmac_secret),
      scanner_(std::move(scanner)) {
  char buf[64];
  for (const std::string& k : options.sensitive_keys) {
    absl::string_view n = NormalizeKey(k, buf);
    if (!n.empty()) sensitive_.insert(std::string(n));
  }
  for (const std::string& k : options.drop_keys) {
    absl::string_view n = NormalizeKey(k, buf);
    if (!n.empty()) drop_.insert(std::string(n));
  }
}

KeyClass Rules::ClassifyKey(absl::string_view key) const {
  char buf[64];
  const absl::string_view n = NormalizeKey(key, buf);
  if (n.empty()) return KeyClass::kPlain;
  if (drop_.contains(n)) return KeyClass::kDrop;
  if (sensitive_.contains(n)) return KeyClass::kSensitive;
  return KeyClass::kPlain;
}

bool Rules::CaptureText(std::string* text) const {
  switch (capture_) {
    case CaptureMode::kFull:
      return scanner_->Redact(*text, PiiScanner::kSecretsOnly, text);
    case CaptureMode::kMask:
      return scanner_->Redact(*text, PiiScanner::kAll, text);
    case CaptureMode::kTruncate: {
      const bool masked = scanner_->Redact(*text, PiiScanner::kAll, text);
      return TruncateUtf8(text, truncate_chars_) || masked;
    }
    case CaptureMode::kHash:
      if (text->empty()) return false;
      *text = hasher_.Hex(*text);
      return true;
    case CaptureMode::kDrop:
      if (text->empty()) return false;
      text->clear();
      return true;
  }
  return false;
}

bool Rules::FreeText(std::string* text) const {
  return scanner_->Redact(
      *text, capture_ == CaptureMode::kFull ? PiiScanner::kSecretsOnly : PiiScanner::kAll, text);
}

bool Rules::NumberReplacement(absl::string_view text, bool free_text,
                              std::string* replacement) const {
  if (capture_ == CaptureMode::kFull) return false;
  // Phone and card numbers have 8..19 digits.
  if (text.size() < 8 || text.size() > 20) return false;
  Spans spans;
  scanner_->Find(text, PiiScanner::kAll, &spans);
  if (spans.empty()) return false;
  if (capture_ == CaptureMode::kHash && !free_text) {
    *replacement = hasher_.Hex(text);
  } else {
    const absl::string_view label = scanner_->Label(spans.front().label);
    replacement->assign(label.data(), label.size());
  }
  return true;
}

std::string NumberText(double value) {
  char buf[40];
  int n;
  if (std::isfinite(value) && std::floor(value) == value && std::fabs(value) < 1e19) {
    n = std::snprintf(buf, sizeof(buf), "%.0f", value);
  } else {
    n = std::snprintf(buf, sizeof(buf), "%.17g", value);
  }
  if (n <= 0 || static_cast<size_t>(n) >= sizeof(buf)) return std::string();
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace tracegate::privacy::internal
