// Builds the privacy policy of every route and of every workspace that has its own, from
// the YAML config, and finds the policy of an event's (route, workspace) on the data path.
//
// Layers, key by key (a non-empty string, list or map, or any value of an optional key set
// in a more specific layer replaces the less specific one):
//   Config.privacy (defaults applied by config/)  ←  Route.privacy  ←
//   Route.workspace_privacy[workspace]
// Every combination is built once in Create, so Find is two hash lookups and allocates
// nothing. The HMAC secret comes from hmac_secret, else from hmac_secret_file (read once;
// trailing whitespace trimmed); without either, the process's fallback key is used
// (ProcessFallbackSecret: 32 random bytes made once per process and reused by every later
// Create, so hashes stay the same across config reloads but change on restart and differ
// between replicas) and a warning is returned. Tags env:/service: come from
// server.app_env and server.service_name unless the policy names a service.
//
//   auto set = PolicySet::Create(config, {});
//   for (const auto& w : (*set)->warnings()) log::Warn(w);
//   const Policy* p = (*set)->Find(route.name, event.workspace());  // never null for a
//                                                                    // configured route
//
// Status: Create → INVALID_ARGUMENT "<key path>: <problem>" for a bad policy (e.g.
// "routes[1].privacy.hmac_secret_file: the secret must be at least 16 bytes",
// "routes[0].workspace_privacy.team-a.capture: must be one of ..."), or the file reader's
// error (NOT_FOUND / PERMISSION_DENIED / FAILED_PRECONDITION) prefixed with the key path.
// Messages never contain the secret or the file's contents.
// Thread-safety: immutable after Create; Find may be called from any thread.
// ProcessFallbackSecret is thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/privacy/policy.h"
#include "tracegate/config/v1/config.pb.h"

namespace tracegate::privacy {

using SecretFileReader = std::function<absl::StatusOr<std::string>(const std::string& path)>;

// Reads a small secret file (at most 64 KiB).
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

struct PolicySetOptions {
  SecretFileReader read_file = ReadSecretFile;
};

// The random HMAC key used when no secret is configured: 32 bytes from the OpenSSL RNG,
// made on the first call and returned by every later call of this process. INTERNAL
// when the RNG fails (the next call tries again).
absl::StatusOr<std::string> ProcessFallbackSecret();

// The effective options of one route, or of one workspace of it when `workspace` is
// non-null (its Route.workspace_privacy entry, whose key path is `workspace_path`); exposed
// for tests. `random_secret` is used when neither hmac_secret nor hmac_secret_file is set;
// `path` (the route's policy) or `workspace_path` prefixes error messages.
absl::StatusOr<PolicyOptions> EffectivePolicyOptions(
    const tracegate::config::v1::Config& config, const tracegate::config::v1::Route& route,
    const std::string& path, const SecretFileReader& read_file, const std::string& random_secret,
    bool* used_random_secret, const tracegate::config::v1::PrivacyPolicy* workspace = nullptr,
    const std::string& workspace_path = "");

class PolicySet {
 public:
  static absl::StatusOr<std::unique_ptr<PolicySet>> Create(
      const tracegate::config::v1::Config& config, const PolicySetOptions& options = {});

  // The policy of the route called `route_name` (its workspaces without their own), or
  // nullptr.
  const Policy* Find(absl::string_view route_name) const;
  // The policy of `workspace` on the route called `route_name`: its workspace policy if the
  // route has one for it, else the route's; nullptr for an unknown route. No allocation.
  const Policy* Find(absl::string_view route_name, absl::string_view workspace) const;

  // Findings for the start-up log (no secrets).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  PolicySet() = default;

  struct RoutePolicies {
    std::unique_ptr<Policy> route;
    absl::flat_hash_map<std::string, std::unique_ptr<Policy>> by_workspace;
  };
  absl::flat_hash_map<std::string, RoutePolicies> by_route_;
  std::vector<std::string> warnings_;
};

}  // namespace tracegate::privacy
