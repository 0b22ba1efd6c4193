// Converts a YAML document to JSON, expanding ${ENV} references inside scalar values.
//
// Scalars: plain (unquoted) `true`/`false` become booleans, plain integers and floats
// become numbers, `~`/`null`/empty become null; quoted scalars, block scalars and plain
// scalars holding a `${...}` reference become strings (numeric fields accept numeric
// strings later, so `${N:-5}` works for them). `!!str` forces a string; other tags are
// errors. Duplicate keys, non-scalar keys, several documents and invalid UTF-8 are errors.
//
// Errors are INVALID_ARGUMENT "<key path>: <problem>" (or "line L, column C: <problem>"
// for YAML syntax errors), without the source name; they never contain values.
// Thread-safety: pure function.
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/config/env.h"
#include "nlohmann/json.hpp"

namespace tracegate::config {

struct YamlFacts {
  // A secret (a Langfuse `secret_key`, a privacy `hmac_secret`, a Redis URL with a password)
  // is written in the file itself (not only taken from ${ENV}).
  bool has_literal_secret = false;
};

absl::StatusOr<nlohmann::json> YamlToJson(absl::string_view yaml, const EnvLookup& env,
                                          YamlFacts* facts);

// True when `s` is well-formed UTF-8.
bool IsValidUtf8(absl::string_view s);

}  // namespace tracegate::config
