#include "gateway/privacy/policy_set.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"

namespace tracegate::privacy {
namespace {

namespace cfg = tracegate::config::v1;

constexpr size_t kMaxSecretFileBytes = 64 * 1024;
constexpr size_t kMinSecretBytes = 16;

// ProcessFallbackSecret's key, made on first use and never freed (one per process).
ABSL_CONST_INIT absl::Mutex fallback_mu(absl::kConstInit);
std::string* fallback_key ABSL_GUARDED_BY(fallback_mu) = nullptr;

absl::Status WithPath(absl::string_view path, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
}

std::vector<std::string> List(const google::protobuf::RepeatedPtrField<std::string>& items) {
  return std::vector<std::string>(items.begin(), items.end());
}

absl::StatusOr<CaptureMode> ParseCapture(absl::string_view text, uint32_t* chars) {
  if (text == "full") return CaptureMode::kFull;
  if (text == "mask" || text.empty()) return CaptureMode::kMask;
  if (text == "hash") return CaptureMode::kHash;
  if (text == "drop") return CaptureMode::kDrop;
  if (absl::ConsumePrefix(&text, "truncate:") && absl::SimpleAtoi(text, chars) && *chars > 0) {
    return CaptureMode::kTruncate;
  }
  return absl::InvalidArgumentError("must be one of full, mask, hash, drop or truncate:N");
}

absl::StatusOr<internal::KindSet> ParsePatterns(
    const google::protobuf::RepeatedPtrField<std::string>& names) {
  internal::KindSet set = 0;
  for (const std::string& n : names) {
    if (n == "email") {
      set |= internal::KindBit(internal::kEmail);
    } else if (n == "phone") {
      set |= internal::KindBit(internal::kPhone);
    } else if (n == "card") {
      set |= internal::KindBit(internal::kCard);
    } else if (n == "ip") {
      set |= internal::KindBit(internal::kIp);
    } else {
      return absl::InvalidArgumentError("must be one of email, phone, card, ip");
    }
  }
  return set;
}

// Lays the keys set in `r` (the policy at `over_path`) onto `p`; `secret_path` becomes
// `over_path` when `r` names the HMAC secret.
void Overlay(const cfg::PrivacyPolicy& r, const std::string& over_path, cfg::PrivacyPolicy* p,
             std::string* secret_path) {
  if (!r.hmac_secret().empty() || !r.hmac_secret_file().empty()) {
    p->set_hmac_secret(r.hmac_secret());
    p->set_hmac_secret_file(r.hmac_secret_file());
    *secret_path = over_path;
  }
  if (!r.user_id().empty()) p->set_user_id(r.user_id());
  if (!r.sensitive_keys().empty()) *p->mutable_sensitive_keys() = r.sensitive_keys();
  if (!r.drop_keys().empty()) *p->mutable_drop_keys() = r.drop_keys();
  if (!r.capture().empty()) p->set_capture(r.capture());
  if (!r.patterns().empty()) *p->mutable_patterns() = r.patterns();
  if (!r.custom_patterns().empty()) *p->mutable_custom_patterns() = r.custom_patterns();
  if (r.has_sample_rate()) p->set_sample_rate(r.sample_rate());
  if (r.has_allow_structured_metadata()) {
    p->set_allow_structured_metadata(r.allow_structured_metadata());
  }
  if (r.has_enrich()) p->set_enrich(r.enrich());
  if (!r.tags().empty()) *p->mutable_tags() = r.tags();
  if (!r.metadata().empty()) *p->mutable_metadata() = r.metadata();
  if (!r.app_id().empty()) p->set_app_id(r.app_id());
  if (!r.langfuse_project().empty()) p->set_langfuse_project(r.langfuse_project());
  if (!r.langfuse_dataset().empty()) p->set_langfuse_dataset(r.langfuse_dataset());
  if (!r.service_name().empty()) p->set_service_name(r.service_name());
}

}  // namespace

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    const std::string why = absl::StrCat("cannot read ", path, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(why);
    if (err == EACCES) return absl::PermissionDeniedError(why);
    return absl::FailedPreconditionError(why);
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", path, ": not a regular file"));
  }
  if (static_cast<size_t>(st.st_size) > kMaxSecretFileBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", path, ": larger than 64 KiB"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::PermissionDeniedError(absl::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<std::string> ProcessFallbackSecret() {
  absl::MutexLock lock(&fallback_mu);
  if (fallback_key == nullptr) {
    unsigned char random[32];
    if (RAND_bytes(random, sizeof(random)) != 1) {
      return absl::InternalError("privacy: no random bytes for a fallback HMAC key");
    }
    fallback_key = new std::string(reinterpret_cast<const char*>(random), sizeof(random));
    OPENSSL_cleanse(random, sizeof(random));
  }
  return *fallback_key;
}

absl::StatusOr<PolicyOptions> EffectivePolicyOptions(
    const cfg::Config& config, const cfg::Route& route, const std::string& path,
    const SecretFileReader& read_file, const std::string& random_secret, bool* used_random_secret,
    const cfg::PrivacyPolicy* workspace, const std::string& workspace_path) {
  // Merge: the route's keys replace the deployment's, the workspace's the route's.
  cfg::PrivacyPolicy p = config.privacy();
  std::string secret_path = "privacy";
  Overlay(route.privacy(), path, &p, &secret_path);
  if (workspace != nullptr) Overlay(*workspace, workspace_path, &p, &secret_path);
  const std::string& error_path = workspace != nullptr ? workspace_path : path;

  PolicyOptions o;
  if (!p.hmac_secret().empty()) {
    o.hmac_secret = p.hmac_secret();
  } else if (!p.hmac_secret_file().empty()) {
    const std::string key = secret_path + ".hmac_secret_file";
    absl::StatusOr<std::string> text = read_file(p.hmac_secret_file());
    if (!text.ok()) return WithPath(key, text.status());
    o.hmac_secret = std::string(absl::StripTrailingAsciiWhitespace(*text));
    if (o.hmac_secret.size() < kMinSecretBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(key, ": the secret must be at least ", kMinSecretBytes, " bytes"));
    }
  } else {
    o.hmac_secret = random_secret;
    *used_random_secret = true;
  }
  if (p.user_id() == "keep") {
    o.user_id = UserIdMode::kKeep;
  } else if (p.user_id() == "drop") {
    o.user_id = UserIdMode::kDrop;
  }
  o.sensitive_keys = List(p.sensitive_keys());
  o.drop_keys = List(p.drop_keys());
  absl::StatusOr<CaptureMode> capture = ParseCapture(p.capture(), &o.truncate_chars);
  if (!capture.ok()) return WithPath(error_path + ".capture", capture.status());
  o.capture = *capture;
  absl::StatusOr<internal::KindSet> kinds = ParsePatterns(p.patterns());
  if (!kinds.ok()) return WithPath(error_path + ".patterns", kinds.status());
  o.patterns.builtins = *kinds;
  for (const cfg::CustomPattern& c : p.custom_patterns()) {
    o.patterns.custom.push_back(CustomPatternSpec{c.name(), c.regex()});
  }
  o.sample_rate = p.has_sample_rate() ? p.sample_rate() : 1.0;
  o.allow_structured_metadata = p.allow_structured_metadata();
  o.enrich = !p.has_enrich() || p.enrich();
  o.app_env = config.server().app_env();
  o.service_name = p.service_name().empty() ? config.server().service_name() : p.service_name();
  o.tags = List(p.tags());
  for (const auto& [key, value] : p.metadata()) o.metadata.emplace_back(key, value);
  std::sort(o.metadata.begin(), o.metadata.end());
  o.app_id = p.app_id();
  o.langfuse_project = p.langfuse_project();
  o.langfuse_dataset = p.langfuse_dataset();
  return o;
}

absl::StatusOr<std::unique_ptr<PolicySet>> PolicySet::Create(const cfg::Config& config,
                                                             const PolicySetOptions& options) {
  auto set = std::unique_ptr<PolicySet>(new PolicySet());
  absl::StatusOr<std::string> random_secret = ProcessFallbackSecret();
  if (!random_secret.ok()) return random_secret.status();
  bool used_random = false;
  absl::Status status;
  for (int i = 0; i < config.routes_size() && status.ok(); ++i) {
    const cfg::Route& route = config.routes(i);
    const std::string path = absl::StrCat("routes[", i, "].privacy");
    auto build = [&](const cfg::PrivacyPolicy* workspace,
                     const std::string& workspace_path) -> absl::StatusOr<std::unique_ptr<Policy>> {
      absl::StatusOr<PolicyOptions> o =
          EffectivePolicyOptions(config, route, path, options.read_file, *random_secret,
                                 &used_random, workspace, workspace_path);
      if (!o.ok()) return o.status();
      absl::StatusOr<std::unique_ptr<Policy>> policy = Policy::Create(*o);
      if (!policy.ok()) {
        return WithPath(workspace != nullptr ? workspace_path : path, policy.status());
      }
      return policy;
    };
    RoutePolicies& entry = set->by_route_[route.name()];
    absl::StatusOr<std::unique_ptr<Policy>> policy = build(nullptr, "");
    if (!policy.ok()) {
      status = policy.status();
      break;
    }
    entry.route = *std::move(policy);
    for (const auto& [workspace, ws_policy] : route.workspace_privacy()) {
      const std::string ws_path =
          absl::StrCat("routes[", i, "].workspace_privacy.", workspace);
      absl::StatusOr<std::unique_ptr<Policy>> p = build(&ws_policy, ws_path);
      if (!p.ok()) {
        status = p.status();
        break;
      }
      entry.by_workspace[workspace] = *std::move(p);
    }
  }
  OPENSSL_cleanse(random_secret->data(), random_secret->size());
  if (!status.ok()) return status;
  if (used_random) {
    set->warnings_.push_back(
        "privacy: no hmac_secret or hmac_secret_file configured; user ids and sensitive values "
        "are hashed with a random key made once per process, so their hashes stay the same "
        "across config reloads but change on restart and differ between replicas");
  }
  return set;
}

const Policy* PolicySet::Find(absl::string_view route_name) const {
  auto it = by_route_.find(route_name);
  return it == by_route_.end() ? nullptr : it->second.route.get();
}

const Policy* PolicySet::Find(absl::string_view route_name, absl::string_view workspace) const {
  auto it = by_route_.find(route_name);
  if (it == by_route_.end()) return nullptr;
  const RoutePolicies& r = it->second;
  if (!r.by_workspace.empty()) {
    auto ws = r.by_workspace.find(workspace);
    if (ws != r.by_workspace.end()) return ws->second.get();
  }
  return r.route.get();
}

}  // namespace tracegate::privacy
