// Builds the privacy policy of every route from the YAML config and finds a route's
// policy on the data path.
//
// Each route's effective policy is Config.privacy (defaults applied by config/) with the
// keys set in Route.privacy replacing it (a non-empty string, list or map, or any value of
// an optional key). The HMAC secret comes from hmac_secret, else from hmac_secret_file
// (read once; trailing whitespace trimmed); without either, one random 32-byte key is made
// for the process and a warning is returned (hashes then differ between restarts and
// replicas). Tags env:/service: come from server.app_env and server.service_name unless
// the policy names a service.
//
//   auto set = PolicySet::Create(config, {});
//   for (const auto& w : (*set)->warnings()) log::Warn(w);
//   const Policy* p = (*set)->Find(route.name);   // never null for a configured route
//
// Status: Create → INVALID_ARGUMENT "<key path>: <problem>" for a bad policy (e.g.
// "routes[1].privacy.hmac_secret_file: the secret must be at least 16 bytes"), or the
// file reader's error (NOT_FOUND / PERMISSION_DENIED / FAILED_PRECONDITION) prefixed with
// the key path. Messages never contain the secret or the file's contents.
// Thread-safety: immutable after Create; Find may be called from any thread.
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

// The effective options of one route (exposed for tests). `random_secret` is used when
// neither hmac_secret nor hmac_secret_file is set; `path` prefixes error messages.
absl::StatusOr<PolicyOptions> EffectivePolicyOptions(const tracegate::config::v1::Config& config,
                                                     const tracegate::config::v1::Route& route,
                                                     const std::string& path,
                                                     const SecretFileReader& read_file,
                                                     const std::string& random_secret,
                                                     bool* used_random_secret);

class PolicySet {
 public:
  static absl::StatusOr<std::unique_ptr<PolicySet>> Create(
      const tracegate::config::v1::Config& config, const PolicySetOptions& options = {});

  // The policy of the route called `route_name`, or nullptr.
  const Policy* Find(absl::string_view route_name) const;

  // Findings for the start-up log (no secrets).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  PolicySet() = default;

  absl::flat_hash_map<std::string, std::unique_ptr<Policy>> by_route_;
  std::vector<std::string> warnings_;
};

}  // namespace tracegate::privacy
