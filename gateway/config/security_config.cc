#include "gateway/config/security_config.h"

#include <cmath>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gateway/config/check_util.h"
#include "gateway/config/validate_config.h"
#include "gateway/core/status_macros.h"

namespace tracegate::config {
namespace {

using internal::FieldError;
using internal::HasControl;
using internal::Indexed;

void SetIfEmpty(std::string* field, const char* value) {
  if (field->empty()) *field = value;
}

void DefaultBurst(v1::RateLimit* limit) {
  if (IsRateLimitSet(*limit)) SetIfEmpty(limit->mutable_burst(), kDefaultRateBurst);
}

bool IsLowerHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

absl::Status CheckOptionalDuration(const std::string& value, const std::string& path) {
  if (value.empty()) return absl::OkStatus();
  return ParseDurationField(value, path).status();
}

absl::Status CheckFile(const std::string& value, const std::string& path) {
  if (HasControl(value)) return FieldError(path, "must not contain control characters");
  return absl::OkStatus();
}

absl::Status ValidateTls(const v1::Tls& tls) {
  TG_RETURN_IF_ERROR(CheckFile(tls.cert_file(), "security.tls.cert_file"));
  TG_RETURN_IF_ERROR(CheckFile(tls.key_file(), "security.tls.key_file"));
  TG_RETURN_IF_ERROR(CheckFile(tls.client_ca_file(), "security.tls.client_ca_file"));
  const bool on = !tls.cert_file().empty() || !tls.key_file().empty();
  if (on && tls.cert_file().empty()) {
    return FieldError("security.tls.cert_file", "required when security.tls.key_file is set");
  }
  if (on && tls.key_file().empty()) {
    return FieldError("security.tls.key_file", "required when security.tls.cert_file is set");
  }
  if (!on && !tls.client_ca_file().empty()) {
    return FieldError("security.tls.client_ca_file",
                      "needs security.tls.cert_file and key_file (mTLS is TLS plus client "
                      "certificates)");
  }
  if (on) {
    TG_ASSIGN_OR_RETURN(
        absl::Duration refresh,
        ParseDurationField(tls.refresh_interval(), "security.tls.refresh_interval"));
    if (refresh < absl::Seconds(1) || refresh != absl::Seconds(absl::ToInt64Seconds(refresh))) {
      return FieldError("security.tls.refresh_interval", "must be a whole number of seconds");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateConnections(const v1::GrpcConnections& grpc) {
  TG_RETURN_IF_ERROR(CheckOptionalDuration(grpc.keepalive_time(), "security.grpc.keepalive_time"));
  TG_RETURN_IF_ERROR(
      CheckOptionalDuration(grpc.keepalive_timeout(), "security.grpc.keepalive_timeout"));
  TG_RETURN_IF_ERROR(CheckOptionalDuration(grpc.min_client_ping_interval(),
                                           "security.grpc.min_client_ping_interval"));
  TG_RETURN_IF_ERROR(
      CheckOptionalDuration(grpc.max_connection_idle(), "security.grpc.max_connection_idle"));
  TG_RETURN_IF_ERROR(
      CheckOptionalDuration(grpc.max_connection_age(), "security.grpc.max_connection_age"));
  TG_RETURN_IF_ERROR(CheckOptionalDuration(grpc.max_connection_age_grace(),
                                           "security.grpc.max_connection_age_grace"));
  return internal::CheckRange("security.grpc.max_concurrent_streams", grpc.max_concurrent_streams(),
                              0, 1000000);
}

absl::Status ValidateRate(const v1::RateLimit& limit, const std::string& path) {
  const double events = limit.events_per_second();
  const double bytes = limit.bytes_per_second();
  if (!std::isfinite(events) || events < 0) {
    return FieldError(path + ".events_per_second", "must be a finite number >= 0");
  }
  if (!std::isfinite(bytes) || bytes < 0) {
    return FieldError(path + ".bytes_per_second", "must be a finite number >= 0");
  }
  if (!IsRateLimitSet(limit)) {
    if (!limit.burst().empty()) {
      return FieldError(path,
                        "set events_per_second or bytes_per_second (burst alone limits "
                        "nothing)");
    }
    return absl::OkStatus();
  }
  TG_ASSIGN_OR_RETURN(absl::Duration burst, ParseDurationField(limit.burst(), path + ".burst"));
  if (burst > absl::Hours(24)) return FieldError(path + ".burst", "must be at most 24h");
  return absl::OkStatus();
}

}  // namespace

bool IsRateLimitSet(const v1::RateLimit& limit) {
  return limit.events_per_second() != 0 || limit.bytes_per_second() != 0;
}

std::vector<std::pair<std::string, std::string>> SecretFiles(const v1::Config& config) {
  std::vector<std::pair<std::string, std::string>> files;
  if (!config.security().tls().key_file().empty()) {
    files.emplace_back("security.tls.key_file", config.security().tls().key_file());
  }
  if (!config.privacy().hmac_secret_file().empty() && config.privacy().hmac_secret().empty()) {
    files.emplace_back("privacy.hmac_secret_file", config.privacy().hmac_secret_file());
  }
  for (int i = 0; i < config.routes_size(); ++i) {
    const auto& p = config.routes(i).privacy();
    if (!p.hmac_secret_file().empty() && p.hmac_secret().empty()) {
      files.emplace_back(Indexed("routes", i) + ".privacy.hmac_secret_file", p.hmac_secret_file());
    }
    for (const auto& [workspace, wp] : config.routes(i).workspace_privacy()) {
      if (!wp.hmac_secret_file().empty() && wp.hmac_secret().empty()) {
        files.emplace_back(absl::StrCat(Indexed("routes", i), ".workspace_privacy.", workspace,
                                        ".hmac_secret_file"),
                           wp.hmac_secret_file());
      }
    }
  }
  return files;
}

void ApplySecurityDefaults(v1::Config* config) {
  v1::Security* security = config->mutable_security();
  v1::Tls* tls = security->mutable_tls();
  if (!tls->cert_file().empty() || !tls->key_file().empty()) {
    SetIfEmpty(tls->mutable_refresh_interval(), kDefaultTlsRefreshInterval);
  }
  v1::GrpcConnections* grpc = security->mutable_grpc();
  SetIfEmpty(grpc->mutable_keepalive_time(), kDefaultKeepaliveTime);
  SetIfEmpty(grpc->mutable_keepalive_timeout(), kDefaultKeepaliveTimeout);
  SetIfEmpty(grpc->mutable_min_client_ping_interval(), kDefaultMinClientPingInterval);
  SetIfEmpty(grpc->mutable_max_connection_age_grace(), kDefaultMaxConnectionAgeGrace);
  if (grpc->max_concurrent_streams() == 0) {
    grpc->set_max_concurrent_streams(kDefaultMaxConcurrentStreams);
  }

  v1::RateLimits* limits = config->mutable_rate_limits();
  DefaultBurst(limits->mutable_per_key());
  DefaultBurst(limits->mutable_per_workspace());
  for (auto& [workspace, limit] : *limits->mutable_workspaces()) DefaultBurst(&limit);
  for (v1::ApiKey& key : *config->mutable_api_keys()) {
    if (key.has_rate_limit()) DefaultBurst(key.mutable_rate_limit());
  }
}

namespace internal {

absl::Status ValidateSecurity(const v1::Config& config) {
  const v1::Security& security = config.security();
  TG_RETURN_IF_ERROR(ValidateTls(security.tls()));
  if (!security.admin_key_sha256().empty() && !IsLowerHex64(security.admin_key_sha256())) {
    return FieldError("security.admin_key_sha256",
                      "must be 64 lower-case hex characters (the admin key's SHA-256)");
  }
  TG_RETURN_IF_ERROR(ValidateConnections(security.grpc()));

  const v1::RateLimits& limits = config.rate_limits();
  TG_RETURN_IF_ERROR(ValidateRate(limits.per_key(), "rate_limits.per_key"));
  TG_RETURN_IF_ERROR(ValidateRate(limits.per_workspace(), "rate_limits.per_workspace"));
  for (const auto& [workspace, limit] : limits.workspaces()) {
    const std::string path = absl::StrCat("rate_limits.workspaces[\"", workspace, "\"]");
    if (workspace.empty() || workspace.size() > 200 || HasControl(workspace)) {
      return FieldError("rate_limits.workspaces",
                        "workspace names must be 1..200 characters without control characters");
    }
    TG_RETURN_IF_ERROR(ValidateRate(limit, path));
  }
  for (int i = 0; i < config.api_keys_size(); ++i) {
    TG_RETURN_IF_ERROR(
        ValidateRate(config.api_keys(i).rate_limit(), Indexed("api_keys", i) + ".rate_limit"));
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace tracegate::config
