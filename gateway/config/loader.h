// Loads Tracegate's YAML configuration into tracegate.config.v1.Config.
//
// Pipeline: YAML (yaml-cpp) → JSON with ${ENV} expansion inside scalar values
// (yaml_json.h) → key/type check against the proto descriptor (schema_check.h) →
// protobuf JSON parse (unknown fields are errors) → ApplyDefaults (defaults.h) →
// ValidateConfig (validate_config.h).
//
//   auto loaded = LoadConfigFile("/etc/tracegate/tracegate.yaml");
//   if (!loaded.ok()) { /* print loaded.status().message() and exit */ }
//   for (const auto& w : loaded->warnings) { /* log it */ }
//   const tracegate::config::v1::Config& config = loaded->config;
//
// Errors: INVALID_ARGUMENT "<source>: <key path>: <problem>", e.g.
// "tracegate.yaml: routes[1].langfuse.base_url: must be an http(s) URL"; YAML syntax errors
// read "<source>: line L, column C: <problem>". Messages never contain configured values
// (no keys, secrets or URLs), only key paths, variable names, workspace and label names.
// LoadConfigFile: NOT_FOUND / PERMISSION_DENIED / FAILED_PRECONDITION when the file cannot
// be read. Thread-safety: the functions keep no state; `env` is called on the caller's
// thread only.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/config/env.h"
#include "tracegate/config/v1/config.pb.h"

namespace tracegate::config {

// Parses YAML text; `source_name` prefixes every error message (usually the file path).
absl::StatusOr<tracegate::config::v1::Config> ParseConfigYaml(
    absl::string_view yaml, const EnvLookup& env = ProcessEnv(),
    absl::string_view source_name = "<config>");

struct LoadedConfig {
  tracegate::config::v1::Config config;
  // Non-fatal findings to log at start-up, e.g. a world-readable file that holds a
  // Langfuse secret key, or a world-readable secret_key_file.
  std::vector<std::string> warnings;
};

// Reads and parses `path` (at most 16 MiB); errors are prefixed with `path`.
absl::StatusOr<LoadedConfig> LoadConfigFile(const std::string& path,
                                            const EnvLookup& env = ProcessEnv());

}  // namespace tracegate::config
