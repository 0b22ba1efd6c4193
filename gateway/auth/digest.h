// SHA-256 helpers for API keys (OpenSSL). Pure functions, thread-safe, no allocation
// except for Sha256Hex's result.
//
//   Sha256Hex("tg_dev_key_change_me")  // "9b69277e...a89c": what config's api_keys[].sha256 holds
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace tracegate::auth {

using Digest = std::array<uint8_t, 32>;

// The raw 32-byte SHA-256 of `data`.
Digest Sha256(absl::string_view data);

// The lower-case hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(absl::string_view data);

// Parses 64 lower-case hex characters; false when `hex` is anything else.
bool ParseDigestHex(absl::string_view hex, Digest* out);

}  // namespace tracegate::auth
