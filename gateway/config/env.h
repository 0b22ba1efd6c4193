// Environment-variable expansion for config values: `${VAR}`, `${VAR:-default}` and the
// escape `$${` (a literal `${`).
//
// Expansion runs on one scalar value after YAML parsing, never on the file's text, so an
// expanded value can never change the structure of the document.
// - `${VAR}`: the variable's value; an empty value stays empty. Unset → INVALID_ARGUMENT
//   "<key_path>: environment variable VAR is not set".
// - `${VAR:-default}`: the value when set and non-empty, otherwise `default` (taken
//   literally up to the first `}`; defaults do not nest).
// - `$${` → `${`; any other `$` is kept as is.
// - Variable names are [A-Za-z_][A-Za-z0-9_]*.
// Error messages name the key path and the variable, never a value.
// Thread-safety: the functions are pure; EnvLookup implementations must be callable from
// the loading thread only (ProcessEnv reads the process environment with getenv).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tracegate::config {

// Looks a variable up; std::nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment (getenv).
EnvLookup ProcessEnv();

struct ExpandedValue {
  std::string value;
  // True when some of `value` was written in the file itself (text outside `${}` or a
  // default), false when it came entirely from the environment.
  bool has_literal_text = false;
};

absl::StatusOr<ExpandedValue> ExpandEnv(absl::string_view raw, const EnvLookup& env,
                                        absl::string_view key_path);

}  // namespace tracegate::config
