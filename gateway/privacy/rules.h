// Internal to privacy/: the per-policy rules that the payload, metadata and event code
// share: text under the capture mode, free text, key classes, keyed hashing.
// Immutable after construction; every method may be called from any thread.
#pragma once

#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "gateway/privacy/hmac_hasher.h"
#include "gateway/privacy/pii_scanner.h"
#include "gateway/privacy/policy_options.h"

namespace tracegate::privacy::internal {

enum class KeyClass { kPlain, kSensitive, kDrop };

class Rules {
 public:
  Rules(const PolicyOptions& options, std::unique_ptr<PiiScanner> scanner);

  CaptureMode capture() const { return capture_; }
  const HmacHasher& hasher() const { return hasher_; }

  // One text of an input or output under the capture mode (kDrop: cleared).
  // Returns true when it changed.
  bool CaptureText(std::string* text) const;
  // Text outside inputs and outputs (metadata values, tags, status messages, score
  // comments): PII replaced unless the capture mode is kFull; credentials always.
  bool FreeText(std::string* text) const;
  // A number whose decimal digits (`text`, e.g. "13812345678") are PII, such as a phone or
  // card number sent as a number: writes what replaces it and returns true. Never in kFull.
  // In a payload (`free_text` false) kHash hashes it; outside payloads it gets the label
  // in every other mode, like FreeText.
  bool NumberReplacement(absl::string_view text, bool free_text, std::string* replacement) const;
  // A value under a sensitive key: its HMAC hex digest.
  std::string Hash(absl::string_view value) const { return hasher_.Hex(value); }

  KeyClass ClassifyKey(absl::string_view key) const;

 private:
  void Truncate(std::string* text) const;

  CaptureMode capture_;
  uint32_t truncate_chars_;
  HmacHasher hasher_;
  std::unique_ptr<PiiScanner> scanner_;
  absl::flat_hash_set<std::string> sensitive_;  // normalised keys
  absl::flat_hash_set<std::string> drop_;
};

// Lower case without '_', '-', '.' and spaces, into `buf`; an empty view when the key is
// longer than the buffer (such keys are never classified).
absl::string_view NormalizeKey(absl::string_view key, char (&buf)[64]);

// The decimal text of a number: integral values without exponent or fraction
// ("13812345678"), others as JSON writes them.
std::string NumberText(double value);

// Cuts `text` after `max_chars` UTF-8 characters and appends "…"; false when it was short
// enough already.
bool TruncateUtf8(std::string* text, size_t max_chars);

}  // namespace tracegate::privacy::internal
