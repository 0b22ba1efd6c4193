// Keyed hashing for privacy: HMAC-SHA256(key, value) as 64 lower-case hex characters.
// Used for user ids, sensitive metadata values and the "hash" capture mode, so equal
// values give equal hashes within a deployment while a dictionary of candidate values
// cannot be hashed without the key.
//
//   HmacHasher hasher(secret);                 // secret: at least 16 bytes (not checked here)
//   std::string h = hasher.Hex("user-42");     // "3f0c..." (64 hex characters)
//
// The key is absorbed once at construction (the inner and outer SHA-256 states are kept),
// so a hash costs two SHA-256 compressions plus the value's length; no allocation beyond
// the output string. Thread-safety: immutable after construction; Hex/AppendHex may be
// called from any thread. The key is not kept in the object, only the padded states.
#pragma once

#include <openssl/sha.h>

#include <string>

#include "absl/strings/string_view.h"

namespace tracegate::privacy {

class HmacHasher {
 public:
  static constexpr size_t kHexChars = 64;

  explicit HmacHasher(absl::string_view key);
  ~HmacHasher();
  HmacHasher(const HmacHasher&) = default;
  HmacHasher& operator=(const HmacHasher&) = default;

  // Appends the 64 hex characters of HMAC-SHA256(key, value) to `out`.
  void AppendHex(absl::string_view value, std::string* out) const;
  std::string Hex(absl::string_view value) const;

 private:
  SHA256_CTX inner_;  // state after absorbing key ^ ipad
  SHA256_CTX outer_;  // state after absorbing key ^ opad
};

}  // namespace tracegate::privacy
