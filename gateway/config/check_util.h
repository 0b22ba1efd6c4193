// Small helpers shared by the config validation files (internal to gateway/config).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tracegate::config::internal {

inline absl::Status FieldError(absl::string_view path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", problem));
}

inline std::string Indexed(absl::string_view base, int index) {
  return absl::StrCat(base, "[", index, "]");
}

// True when `s` contains an ASCII control character (C0 or DEL).
inline bool HasControl(absl::string_view s) {
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return true;
  }
  return false;
}

// Checks an unsigned value lies in [lo, hi].
inline absl::Status CheckRange(absl::string_view path, uint64_t value, uint64_t lo, uint64_t hi) {
  if (value < lo || value > hi) {
    return FieldError(path, absl::StrCat("must be between ", lo, " and ", hi));
  }
  return absl::OkStatus();
}

}  // namespace tracegate::config::internal

namespace tracegate::config::v1 {
class Config;
}  // namespace tracegate::config::v1

namespace tracegate::config::internal {

// Routes and api keys (validate_routes.cc).
absl::Status ValidateRoutesAndKeys(const tracegate::config::v1::Config& config);

}  // namespace tracegate::config::internal
