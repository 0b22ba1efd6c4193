// Defaults and validation of the `privacy` section, of routes[].privacy and of
// routes[].workspace_privacy (called by
// ApplyDefaults and ValidateConfig; the policy itself lives in gateway/privacy, see
// docs/privacy.md).
//
// Defaults (deployment section only; a route's section holds overrides and stays as
// written): user_id "hash", capture "mask", sensitive_keys / drop_keys / patterns the lists
// below, sample_rate 1, allow_structured_metadata false, enrich true.
// Validation: INVALID_ARGUMENT "<key path>: <problem>", never quoting a secret: hmac_secret
// at least 16 bytes; user_id hash|keep|drop; capture full|mask|hash|drop|truncate:N with
// 1 <= N <= 1000000; patterns from email, phone, card, ip; custom pattern names
// [a-z0-9_]{1,32}, unique, regexes valid RE2; sample_rate in [0, 1]; tags 1..200
// characters; key lists, metadata keys, app_id and langfuse_* without control characters.
// A routes[i].workspace_privacy key must be a workspace the route receives: one of its
// `workspaces`, or, on a "*" route, a name no other route lists; "*" is refused.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tracegate/config/v1/config.pb.h"

namespace tracegate::config {

inline constexpr char kDefaultPrivacyUserId[] = "hash";
inline constexpr char kDefaultPrivacyCapture[] = "mask";
inline constexpr const char* kDefaultSensitiveKeys[] = {
    "user_id",  "email",   "phone",     "phone_number", "mobile",    "order_id",
    "order_no", "id_card", "id_number", "card_number",  "ip_address"};
inline constexpr const char* kDefaultDropKeys[] = {
    "authorization", "api_key", "access_token", "refresh_token", "token",
    "password",      "passwd",  "secret",       "secret_key",    "client_secret",
    "private_key",   "cookie",  "set_cookie"};
inline constexpr const char* kPrivacyPatternNames[] = {"email", "phone", "card", "ip"};
inline constexpr size_t kMinHmacSecretBytes = 16;
inline constexpr uint32_t kMaxTruncateChars = 1000000;

void ApplyPrivacyDefaults(tracegate::config::v1::Config* config);

namespace internal {
absl::Status ValidatePrivacy(const tracegate::config::v1::Config& config);
}  // namespace internal

}  // namespace tracegate::config
