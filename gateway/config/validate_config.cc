#include "gateway/config/validate_config.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gateway/config/check_util.h"
#include "gateway/config/privacy_config.h"
#include "gateway/config/security_config.h"
#include "gateway/core/status_macros.h"
#include "gateway/redis/redis_url.h"

namespace tracegate::config {
namespace {

using internal::CheckRange;
using internal::FieldError;
using internal::HasControl;

absl::Status CheckDuration(absl::string_view value, absl::string_view path) {
  return ParseDurationField(value, path).status();
}

absl::Status CheckLabel(absl::string_view value, absl::string_view path, size_t max_chars) {
  if (value.empty()) return FieldError(path, "required");
  if (value.size() > max_chars) {
    return FieldError(path, absl::StrCat("longer than ", max_chars, " characters"));
  }
  if (HasControl(value)) return FieldError(path, "must not contain control characters");
  return absl::OkStatus();
}

absl::Status ValidateServer(const v1::Server& server) {
  if (!IsListenAddress(server.grpc_listen())) {
    return FieldError("server.grpc_listen", "must be host:port");
  }
  if (!IsListenAddress(server.admin_listen())) {
    return FieldError("server.admin_listen", "must be host:port");
  }
  if (server.admin_listen() == server.grpc_listen() &&
      !absl::EndsWith(server.grpc_listen(), ":0")) {
    return FieldError("server.admin_listen", "must differ from server.grpc_listen");
  }
  TG_RETURN_IF_ERROR(CheckRange("server.max_receive_message_bytes",
                                server.max_receive_message_bytes(), 1024, 1u << 30));
  TG_RETURN_IF_ERROR(CheckRange("server.ingest_threads", server.ingest_threads(), 1, 256));
  TG_RETURN_IF_ERROR(CheckDuration(server.drain_timeout(), "server.drain_timeout"));
  TG_RETURN_IF_ERROR(CheckLabel(server.service_name(), "server.service_name", 200));
  TG_RETURN_IF_ERROR(CheckLabel(server.app_env(), "server.app_env", 200));
  return absl::OkStatus();
}

absl::Status ValidateLimits(const v1::Limits& limits, const v1::Server& server) {
  TG_RETURN_IF_ERROR(
      CheckRange("limits.max_events_per_batch", limits.max_events_per_batch(), 1, 100000));
  TG_RETURN_IF_ERROR(
      CheckRange("limits.max_event_bytes", limits.max_event_bytes(), 1024, UINT32_MAX));
  if (limits.max_event_bytes() > server.max_receive_message_bytes()) {
    return FieldError("limits.max_event_bytes", "must not exceed server.max_receive_message_bytes");
  }
  TG_RETURN_IF_ERROR(CheckRange("limits.max_id_chars", limits.max_id_chars(), 1, 800));
  TG_RETURN_IF_ERROR(CheckDuration(limits.max_future_skew(), "limits.max_future_skew"));
  TG_RETURN_IF_ERROR(CheckRange("limits.max_name_chars", limits.max_name_chars(), 1, 1000));
  TG_RETURN_IF_ERROR(CheckRange("limits.max_tags", limits.max_tags(), 1, 1000));
  return absl::OkStatus();
}

absl::Status ValidateExport(const v1::Export& exp, const v1::Limits& limits) {
  TG_RETURN_IF_ERROR(CheckRange("export.max_batch_events", exp.max_batch_events(), 1, 100000));
  TG_RETURN_IF_ERROR(CheckRange("export.max_batch_bytes", exp.max_batch_bytes(), 1024, 3500000));
  if (exp.max_batch_bytes() < limits.max_event_bytes()) {
    return FieldError("export.max_batch_bytes", "must be at least limits.max_event_bytes");
  }
  TG_RETURN_IF_ERROR(CheckDuration(exp.linger(), "export.linger"));
  TG_ASSIGN_OR_RETURN(absl::Duration initial,
                      ParseDurationField(exp.initial_backoff(), "export.initial_backoff"));
  TG_ASSIGN_OR_RETURN(absl::Duration max,
                      ParseDurationField(exp.max_backoff(), "export.max_backoff"));
  if (max < initial) {
    return FieldError("export.max_backoff", "must be at least export.initial_backoff");
  }
  TG_RETURN_IF_ERROR(CheckRange("export.max_attempts", exp.max_attempts(), 0, 1000));
  if (exp.gzip_level() < 1 || exp.gzip_level() > 9) {
    return FieldError("export.gzip_level", "must be between 1 and 9");
  }
  TG_RETURN_IF_ERROR(CheckRange("export.workers_per_route", exp.workers_per_route(), 1, 64));
  return absl::OkStatus();
}

absl::Status ValidateRest(const v1::Config& config) {
  TG_RETURN_IF_ERROR(CheckDuration(config.dedupe().window(), "dedupe.window"));
  TG_RETURN_IF_ERROR(
      CheckRange("dedupe.max_entries", config.dedupe().max_entries(), 1, UINT32_MAX));
  if (config.queue().max_events_per_route() < config.limits().max_events_per_batch()) {
    return FieldError("queue.max_events_per_route", "must be at least limits.max_events_per_batch");
  }
  const std::string& level = config.logging().level();
  if (level != "debug" && level != "info" && level != "warn" && level != "error") {
    return FieldError("logging.level", "must be one of debug, info, warn, error");
  }
  return absl::OkStatus();
}

absl::Status ValidateRedis(const v1::Config& config) {
  const v1::Redis& redis = config.redis();
  if (!redis.url().empty()) {
    absl::StatusOr<redis::RedisEndpoint> ep = redis::ParseRedisUrl(redis.url());
    if (!ep.ok()) {
      absl::string_view why = ep.status().message();
      absl::ConsumePrefix(&why, "redis url: ");
      return FieldError("redis.url", why);  // never echoes the URL (it may hold a password)
    }
  }
  const std::string& prefix = redis.key_prefix();
  if (prefix.size() > 64 || HasControl(prefix) ||
      prefix.find_first_of("{} ") != std::string::npos) {
    return FieldError("redis.key_prefix", "at most 64 characters, without '{', '}' or spaces");
  }
  TG_RETURN_IF_ERROR(CheckDuration(redis.connect_timeout(), "redis.connect_timeout"));
  TG_ASSIGN_OR_RETURN(absl::Duration command,
                      ParseDurationField(redis.command_timeout(), "redis.command_timeout"));
  TG_ASSIGN_OR_RETURN(absl::Duration claim,
                      ParseDurationField(redis.claim_idle_timeout(), "redis.claim_idle_timeout"));
  if (claim <= command) {
    return FieldError("redis.claim_idle_timeout", "must be longer than redis.command_timeout");
  }
  TG_RETURN_IF_ERROR(CheckRange("redis.max_dead_letters_per_route",
                                redis.max_dead_letters_per_route(), 1, 100000000));
  TG_RETURN_IF_ERROR(CheckDuration(redis.max_reconnect_backoff(), "redis.max_reconnect_backoff"));
  TG_ASSIGN_OR_RETURN(absl::Duration skew,
                      ParseDurationField(redis.max_clock_skew(), "redis.max_clock_skew"));
  TG_ASSIGN_OR_RETURN(absl::Duration window,
                      ParseDurationField(config.dedupe().window(), "dedupe.window"));
  if (skew >= window) return FieldError("redis.max_clock_skew", "must be shorter than dedupe.window");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<absl::Duration> ParseDurationField(absl::string_view value,
                                                  absl::string_view key_path) {
  if (value.empty()) return FieldError(key_path, "required");
  absl::Duration d;
  if (!absl::ParseDuration(std::string(value), &d) || d == absl::InfiniteDuration() ||
      d == -absl::InfiniteDuration()) {
    return FieldError(key_path, "must be a duration like \"250ms\", \"5s\" or \"24h\"");
  }
  if (d <= absl::ZeroDuration()) return FieldError(key_path, "must be greater than 0");
  return d;
}

bool IsValidEnvironment(absl::string_view environment) {
  if (environment.empty() || environment.size() > 40) return false;
  if (absl::StartsWith(environment, "langfuse")) return false;
  for (char c : environment) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

bool IsListenAddress(absl::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return false;
  const absl::string_view host = address.substr(0, colon);
  const absl::string_view port = address.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  uint32_t port_number = 0;
  if (!absl::SimpleAtoi(port, &port_number) || port_number > 65535) return false;
  if (host.empty()) return false;
  if (host.front() == '[') {
    return host.size() > 2 && host.back() == ']' &&
           host.substr(1, host.size() - 2).find_first_of("[]") == absl::string_view::npos;
  }
  for (char c : host) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-' && c != '_') return false;
  }
  return true;
}

bool IsHttpUrl(absl::string_view url) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "https://") && !absl::ConsumePrefix(&rest, "http://")) {
    return false;
  }
  for (char c : url) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '?' || c == '#') return false;
  }
  const absl::string_view host = rest.substr(0, rest.find('/'));
  return !host.empty() && host.front() != ':' && host.find('@') == absl::string_view::npos;
}

absl::Status ValidateConfig(const v1::Config& config) {
  TG_RETURN_IF_ERROR(ValidateServer(config.server()));
  TG_RETURN_IF_ERROR(ValidateLimits(config.limits(), config.server()));
  TG_RETURN_IF_ERROR(internal::ValidateRoutesAndKeys(config));
  TG_RETURN_IF_ERROR(ValidateExport(config.export_(), config.limits()));
  TG_RETURN_IF_ERROR(ValidateRest(config));
  TG_RETURN_IF_ERROR(ValidateRedis(config));
  TG_RETURN_IF_ERROR(internal::ValidateSecurity(config));
  TG_RETURN_IF_ERROR(internal::ValidatePrivacy(config));
  return absl::OkStatus();
}

}  // namespace tracegate::config
