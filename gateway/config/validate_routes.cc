// Validation of `routes` and `api_keys` (see validate_config.h).
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gateway/config/check_util.h"
#include "gateway/config/validate_config.h"
#include "gateway/core/status_macros.h"

namespace tracegate::config::internal {
namespace {

constexpr size_t kMaxRouteNameChars = 64;
constexpr size_t kMaxWorkspaceChars = 200;
constexpr size_t kMaxKeyNameChars = 200;

bool IsRouteName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxRouteNameChars) return false;
  for (char c : name) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

bool IsLowerHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

absl::Status CheckWorkspaceName(absl::string_view workspace, const std::string& path) {
  if (workspace.empty()) return FieldError(path, "must not be empty");
  if (workspace.size() > kMaxWorkspaceChars) {
    return FieldError(path, absl::StrCat("longer than ", kMaxWorkspaceChars, " characters"));
  }
  if (HasControl(workspace)) return FieldError(path, "must not contain control characters");
  return absl::OkStatus();
}

absl::Status CheckKeySource(const std::string& value, const std::string& file,
                            const std::string& path, absl::string_view name) {
  if (value.empty() && file.empty()) {
    return FieldError(absl::StrCat(path, ".", name),
                      absl::StrCat("required (set ", name, " or ", name, "_file)"));
  }
  if (!file.empty() && HasControl(file)) {
    return FieldError(absl::StrCat(path, ".", name, "_file"),
                      "must not contain control characters");
  }
  return absl::OkStatus();
}

absl::Status ValidateTarget(const v1::LangfuseTarget& target, const std::string& path) {
  if (target.base_url().empty()) return FieldError(path + ".base_url", "required");
  if (!IsHttpUrl(target.base_url())) {
    return FieldError(path + ".base_url", "must be an http(s) URL");
  }
  TG_RETURN_IF_ERROR(
      CheckKeySource(target.public_key(), target.public_key_file(), path, "public_key"));
  TG_RETURN_IF_ERROR(
      CheckKeySource(target.secret_key(), target.secret_key_file(), path, "secret_key"));
  if (HasControl(target.public_key()) || HasControl(target.secret_key())) {
    return FieldError(path, "keys must not contain control characters");
  }
  TG_RETURN_IF_ERROR(ParseDurationField(target.timeout(), path + ".timeout").status());
  if (HasControl(target.ca_file())) {
    return FieldError(path + ".ca_file", "must not contain control characters");
  }
  return absl::OkStatus();
}

// Fills `owner` (workspace → route path) and checks each route on its own.
absl::Status ValidateRoutes(const v1::Config& config,
                            absl::flat_hash_map<std::string, std::string>* owner) {
  if (config.routes().empty()) return FieldError("routes", "at least one route is required");
  absl::flat_hash_map<std::string, int> names;
  for (int i = 0; i < config.routes_size(); ++i) {
    const v1::Route& route = config.routes(i);
    const std::string path = Indexed("routes", i);
    if (route.name().empty()) return FieldError(path + ".name", "required");
    if (!IsRouteName(route.name())) {
      return FieldError(path + ".name",
                        absl::StrCat("must match [a-z0-9_-]{1,", kMaxRouteNameChars, "}"));
    }
    auto [it, inserted] = names.emplace(route.name(), i);
    if (!inserted) {
      return FieldError(path + ".name",
                        absl::StrCat("duplicate of ", Indexed("routes", it->second), ".name"));
    }
    if (route.workspaces().empty()) {
      return FieldError(path + ".workspaces", "at least one workspace is required");
    }
    for (int j = 0; j < route.workspaces_size(); ++j) {
      const std::string& workspace = route.workspaces(j);
      const std::string ws_path = Indexed(path + ".workspaces", j);
      TG_RETURN_IF_ERROR(CheckWorkspaceName(workspace, ws_path));
      auto [owner_it, fresh] = owner->emplace(workspace, path);
      if (!fresh) {
        return FieldError(ws_path, absl::StrCat("workspace \"", workspace,
                                                "\" is already routed by ", owner_it->second));
      }
    }
    TG_RETURN_IF_ERROR(ValidateTarget(route.langfuse(), path + ".langfuse"));
    const std::string& egress = route.egress();
    if (egress != "otlp" && egress != "legacy" && egress != "auto") {
      return FieldError(path + ".egress", "must be one of otlp, legacy, auto");
    }
    if (!route.environment().empty() && !IsValidEnvironment(route.environment())) {
      return FieldError(path + ".environment",
                        "must match [a-z0-9_-]{1,40} and not start with \"langfuse\"");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateKeys(const v1::Config& config,
                          const absl::flat_hash_map<std::string, std::string>& owner) {
  if (config.api_keys().empty()) {
    return FieldError("api_keys", "at least one key is required");
  }
  const bool has_catch_all = owner.contains("*");
  absl::flat_hash_map<std::string, int> names;
  absl::flat_hash_map<std::string, int> digests;
  for (int i = 0; i < config.api_keys_size(); ++i) {
    const v1::ApiKey& key = config.api_keys(i);
    const std::string path = Indexed("api_keys", i);
    if (key.name().empty()) return FieldError(path + ".name", "required");
    if (key.name().size() > kMaxKeyNameChars || HasControl(key.name())) {
      return FieldError(path + ".name", absl::StrCat("must be 1..", kMaxKeyNameChars,
                                                     " characters without control characters"));
    }
    auto [name_it, new_name] = names.emplace(key.name(), i);
    if (!new_name) {
      return FieldError(
          path + ".name",
          absl::StrCat("duplicate of ", Indexed("api_keys", name_it->second), ".name"));
    }
    if (key.sha256().empty()) return FieldError(path + ".sha256", "required");
    if (!IsLowerHex64(key.sha256())) {
      return FieldError(path + ".sha256",
                        "must be 64 lower-case hex characters (the key's SHA-256)");
    }
    auto [digest_it, new_digest] = digests.emplace(key.sha256(), i);
    if (!new_digest) {
      return FieldError(path + ".sha256",
                        absl::StrCat("same key as ", Indexed("api_keys", digest_it->second)));
    }
    if (key.workspaces().empty()) {
      return FieldError(path + ".workspaces", "at least one workspace is required");
    }
    for (int j = 0; j < key.workspaces_size(); ++j) {
      const std::string& workspace = key.workspaces(j);
      const std::string ws_path = Indexed(path + ".workspaces", j);
      TG_RETURN_IF_ERROR(CheckWorkspaceName(workspace, ws_path));
      if (workspace != "*" && !has_catch_all && !owner.contains(workspace)) {
        return FieldError(ws_path, absl::StrCat("workspace \"", workspace, "\" has no route"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateRoutesAndKeys(const v1::Config& config) {
  absl::flat_hash_map<std::string, std::string> owner;
  TG_RETURN_IF_ERROR(ValidateRoutes(config, &owner));
  TG_RETURN_IF_ERROR(ValidateKeys(config, owner));
  return absl::OkStatus();
}

}  // namespace tracegate::config::internal
