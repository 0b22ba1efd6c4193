#include "gateway/config/privacy_config.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gateway/config/check_util.h"
#include "gateway/core/status_macros.h"
#include "re2/re2.h"

namespace tracegate::config {
namespace {

using internal::FieldError;
using internal::HasControl;
using internal::Indexed;

constexpr size_t kMaxTagChars = 200;
constexpr size_t kMaxLabelChars = 200;
constexpr size_t kMaxPatternNameChars = 32;
constexpr size_t kMaxRegexChars = 1000;

bool IsPatternName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxPatternNameChars) return false;
  for (char c : name) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_') return false;
  }
  return true;
}

absl::Status CheckLabel(absl::string_view value, const std::string& path, size_t max_chars) {
  if (value.size() > max_chars) {
    return FieldError(path, absl::StrCat("longer than ", max_chars, " characters"));
  }
  if (HasControl(value)) return FieldError(path, "must not contain control characters");
  return absl::OkStatus();
}

absl::Status CheckKeyList(const google::protobuf::RepeatedPtrField<std::string>& keys,
                          const std::string& path) {
  for (int i = 0; i < keys.size(); ++i) {
    if (keys[i].empty()) return FieldError(Indexed(path, i), "must not be empty");
    TG_RETURN_IF_ERROR(CheckLabel(keys[i], Indexed(path, i), kMaxLabelChars));
  }
  return absl::OkStatus();
}

absl::Status CheckCapture(absl::string_view capture, const std::string& path) {
  if (capture == "full" || capture == "mask" || capture == "hash" || capture == "drop") {
    return absl::OkStatus();
  }
  absl::string_view n = capture;
  uint32_t chars = 0;
  if (absl::ConsumePrefix(&n, "truncate:") && !n.empty() &&
      n.find_first_not_of("0123456789") == absl::string_view::npos && absl::SimpleAtoi(n, &chars) &&
      chars >= 1 && chars <= kMaxTruncateChars) {
    return absl::OkStatus();
  }
  return FieldError(path, absl::StrCat("must be one of full, mask, hash, drop or truncate:N "
                                       "(1 <= N <= ",
                                       kMaxTruncateChars, ")"));
}

absl::Status CheckPatterns(const v1::PrivacyPolicy& p, const std::string& path) {
  for (int i = 0; i < p.patterns_size(); ++i) {
    bool known = false;
    for (const char* name : kPrivacyPatternNames) known |= p.patterns(i) == name;
    if (!known) {
      return FieldError(Indexed(path + ".patterns", i), "must be one of email, phone, card, ip");
    }
  }
  absl::flat_hash_set<std::string> names;
  for (int i = 0; i < p.custom_patterns_size(); ++i) {
    const v1::CustomPattern& c = p.custom_patterns(i);
    const std::string item = Indexed(path + ".custom_patterns", i);
    if (!IsPatternName(c.name())) {
      return FieldError(item + ".name",
                        absl::StrCat("must match [a-z0-9_]{1,", kMaxPatternNameChars, "}"));
    }
    if (!names.insert(c.name()).second) {
      return FieldError(item + ".name", absl::StrCat("duplicate pattern \"", c.name(), "\""));
    }
    if (c.regex().empty()) return FieldError(item + ".regex", "required");
    if (c.regex().size() > kMaxRegexChars) {
      return FieldError(item + ".regex",
                        absl::StrCat("longer than ", kMaxRegexChars, " characters"));
    }
    RE2::Options options;
    options.set_log_errors(false);
    RE2 re(c.regex(), options);
    if (!re.ok()) return FieldError(item + ".regex", "is not a valid RE2 regular expression");
    if (RE2::FullMatch("", re)) {
      return FieldError(item + ".regex", "must not match the empty string");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePolicy(const v1::PrivacyPolicy& p, const std::string& path) {
  if (!p.hmac_secret().empty() && p.hmac_secret().size() < kMinHmacSecretBytes) {
    return FieldError(path + ".hmac_secret",
                      absl::StrCat("must be at least ", kMinHmacSecretBytes, " bytes"));
  }
  if (HasControl(p.hmac_secret_file())) {
    return FieldError(path + ".hmac_secret_file", "must not contain control characters");
  }
  const std::string& user_id = p.user_id();
  if (!user_id.empty() && user_id != "hash" && user_id != "keep" && user_id != "drop") {
    return FieldError(path + ".user_id", "must be one of hash, keep, drop");
  }
  TG_RETURN_IF_ERROR(CheckKeyList(p.sensitive_keys(), path + ".sensitive_keys"));
  TG_RETURN_IF_ERROR(CheckKeyList(p.drop_keys(), path + ".drop_keys"));
  if (!p.capture().empty()) TG_RETURN_IF_ERROR(CheckCapture(p.capture(), path + ".capture"));
  TG_RETURN_IF_ERROR(CheckPatterns(p, path));
  if (p.has_sample_rate() && !(p.sample_rate() >= 0.0 && p.sample_rate() <= 1.0)) {
    return FieldError(path + ".sample_rate", "must be between 0 and 1");
  }
  for (int i = 0; i < p.tags_size(); ++i) {
    const std::string tag_path = Indexed(path + ".tags", i);
    if (p.tags(i).empty()) return FieldError(tag_path, "must not be empty");
    TG_RETURN_IF_ERROR(CheckLabel(p.tags(i), tag_path, kMaxTagChars));
  }
  for (const auto& [key, value] : p.metadata()) {
    const std::string key_path = absl::StrCat(path, ".metadata");
    if (key.empty() || HasControl(key) || key.size() > kMaxLabelChars) {
      return FieldError(key_path, "keys must be 1..200 characters without control characters");
    }
  }
  TG_RETURN_IF_ERROR(CheckLabel(p.app_id(), path + ".app_id", kMaxLabelChars));
  TG_RETURN_IF_ERROR(CheckLabel(p.service_name(), path + ".service_name", kMaxLabelChars));
  TG_RETURN_IF_ERROR(CheckLabel(p.langfuse_project(), path + ".langfuse_project", kMaxLabelChars));
  TG_RETURN_IF_ERROR(CheckLabel(p.langfuse_dataset(), path + ".langfuse_dataset", kMaxLabelChars));
  return absl::OkStatus();
}

template <size_t N>
void SetListIfEmpty(google::protobuf::RepeatedPtrField<std::string>* list,
                    const char* const (&values)[N]) {
  if (!list->empty()) return;
  for (const char* v : values) list->Add(v);
}

}  // namespace

void ApplyPrivacyDefaults(v1::Config* config) {
  v1::PrivacyPolicy* p = config->mutable_privacy();
  if (p->user_id().empty()) p->set_user_id(kDefaultPrivacyUserId);
  if (p->capture().empty()) p->set_capture(kDefaultPrivacyCapture);
  SetListIfEmpty(p->mutable_sensitive_keys(), kDefaultSensitiveKeys);
  SetListIfEmpty(p->mutable_drop_keys(), kDefaultDropKeys);
  SetListIfEmpty(p->mutable_patterns(), kPrivacyPatternNames);
  if (!p->has_sample_rate()) p->set_sample_rate(1.0);
  if (!p->has_allow_structured_metadata()) p->set_allow_structured_metadata(false);
  if (!p->has_enrich()) p->set_enrich(true);
}

namespace internal {

absl::Status ValidatePrivacy(const v1::Config& config) {
  TG_RETURN_IF_ERROR(ValidatePolicy(config.privacy(), "privacy"));
  // Workspaces named by some route (each by one route; ValidateRoutesAndKeys checked that).
  absl::flat_hash_set<std::string> named;
  for (const v1::Route& route : config.routes()) {
    for (const std::string& ws : route.workspaces()) {
      if (ws != "*") named.insert(ws);
    }
  }
  for (int i = 0; i < config.routes_size(); ++i) {
    const v1::Route& route = config.routes(i);
    const std::string path = Indexed("routes", i);
    if (route.has_privacy()) TG_RETURN_IF_ERROR(ValidatePolicy(route.privacy(), path + ".privacy"));
    if (route.workspace_privacy().empty()) continue;
    bool catch_all = false;
    for (const std::string& ws : route.workspaces()) catch_all |= ws == "*";
    // Sorted, so that the first problem reported does not depend on the map's order.
    std::vector<absl::string_view> names;
    for (const auto& [ws, policy] : route.workspace_privacy()) names.push_back(ws);
    std::sort(names.begin(), names.end());
    for (absl::string_view ws : names) {
      const std::string ws_path = absl::StrCat(path, ".workspace_privacy.", ws);
      if (ws.empty() || HasControl(ws) || ws.size() > kMaxLabelChars) {
        return FieldError(path + ".workspace_privacy",
                          "keys must be workspace names (1..200 characters, no control "
                          "characters)");
      }
      if (ws == "*") {
        return FieldError(ws_path, "\"*\" is not a workspace; set the route's own policy in " +
                                       path + ".privacy");
      }
      bool listed = false;
      for (const std::string& w : route.workspaces()) listed |= w == ws;
      if (!listed && !(catch_all && !named.contains(ws))) {
        return FieldError(ws_path, absl::StrCat("workspace \"", ws,
                                                "\" is not delivered through this route (list it "
                                                "in its workspaces, or use the route that does)"));
      }
      TG_RETURN_IF_ERROR(
          ValidatePolicy(route.workspace_privacy().at(std::string(ws)), ws_path));
    }
  }
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace tracegate::config
