// Semantic validation of a loaded Config (after ApplyDefaults): durations, addresses,
// ranges, api keys, routes and the relations between them.
//
// Returns OK or INVALID_ARGUMENT "<key path>: <problem>" for the first problem found, e.g.
// "routes[1].langfuse.base_url: must be an http(s) URL". Messages name keys, workspaces
// and route/key labels, never values of secrets (Langfuse keys) or URLs.
// Thread-safety: pure functions.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tracegate/config/v1/config.pb.h"

namespace tracegate::config {

absl::Status ValidateConfig(const tracegate::config::v1::Config& config);

// Parses a duration field ("250ms", "5s", "24h"); it must be finite and > 0.
// INVALID_ARGUMENT "<key_path>: required" / "<key_path>: must be a duration like ..." /
// "<key_path>: must be greater than 0".
absl::StatusOr<absl::Duration> ParseDurationField(absl::string_view value,
                                                  absl::string_view key_path);

// Langfuse's environment rule: [a-z0-9_-]{1,40}, not starting with "langfuse".
bool IsValidEnvironment(absl::string_view environment);

// "host:port" with a non-empty host (or "[v6]") and a port 0..65535.
bool IsListenAddress(absl::string_view address);

// "http://host..." or "https://host..." without spaces, control characters, query or
// fragment.
bool IsHttpUrl(absl::string_view url);

}  // namespace tracegate::config
