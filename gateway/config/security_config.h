// Defaults and validation of the `security` and `rate_limits` sections and of
// api_keys[].rate_limit (called by ApplyDefaults and ValidateConfig; see docs/security.md).
//
// Defaults: security.tls.refresh_interval "60s" (only when TLS is on); security.grpc
// keepalive_time "60s", keepalive_timeout "20s", min_client_ping_interval "10s",
// max_connection_age_grace "30s", max_concurrent_streams 1000; every rate limit's burst "1s"
// (only for limits that are set).
// Validation: INVALID_ARGUMENT "<key path>: <problem>" (never a value of a secret or a path's
// contents): cert_file and key_file set together; files readable only when the gateway
// starts (tls_listener.h checks them); durations > 0; refresh_interval whole seconds;
// admin_key_sha256 64 lower-case hex; rates finite and >= 0 with at least one of them > 0;
// workspace names of rate_limits.workspaces non-empty without control characters.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "tracegate/config/v1/config.pb.h"

namespace tracegate::config {

inline constexpr char kDefaultTlsRefreshInterval[] = "60s";
inline constexpr char kDefaultKeepaliveTime[] = "60s";
inline constexpr char kDefaultKeepaliveTimeout[] = "20s";
inline constexpr char kDefaultMinClientPingInterval[] = "10s";
inline constexpr char kDefaultMaxConnectionAgeGrace[] = "30s";
inline constexpr uint32_t kDefaultMaxConcurrentStreams = 1000;
inline constexpr char kDefaultRateBurst[] = "1s";

void ApplySecurityDefaults(tracegate::config::v1::Config* config);

// True when the rate limit is set (has a rate); an unset message means unlimited.
bool IsRateLimitSet(const tracegate::config::v1::RateLimit& limit);

// Files named by the config that hold secrets or private keys, besides the routes'
// secret_key_file (the loader warns when one is readable by every user): (key path, file)
// for security.tls.key_file, privacy.hmac_secret_file, routes[i].privacy.hmac_secret_file
// and routes[i].workspace_privacy.<workspace>.hmac_secret_file.
std::vector<std::pair<std::string, std::string>> SecretFiles(
    const tracegate::config::v1::Config& config);

namespace internal {
absl::Status ValidateSecurity(const tracegate::config::v1::Config& config);
}  // namespace internal

}  // namespace tracegate::config
