#include "gateway/auth/authenticator.h"

#include <openssl/crypto.h>

#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tracegate::auth {
namespace {

constexpr size_t kMaxKeyBytes = 1024;

uint64_t Prefix(const Digest& digest) {
  uint64_t prefix;
  std::memcpy(&prefix, digest.data(), sizeof(prefix));
  return prefix;
}

bool IsScheme(absl::string_view value) {
  return value.size() > 6 && absl::EqualsIgnoreCase(value.substr(0, 6), "bearer") &&
         (value[6] == ' ' || value[6] == '\t');
}

bool IsWellFormedKey(absl::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) return false;
  for (char c : key) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(
    const google::protobuf::RepeatedPtrField<config::v1::ApiKey>& keys) {
  std::unique_ptr<Authenticator> auth(new Authenticator());
  for (int i = 0; i < keys.size(); ++i) {
    const config::v1::ApiKey& key = keys.Get(i);
    const std::string where = absl::StrCat("api_keys[", i, "]");
    if (key.name().empty()) return absl::InvalidArgumentError(where + ".name: required");
    Entry entry;
    if (!ParseDigestHex(key.sha256(), &entry.digest)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ".sha256: must be 64 lower-case hex characters (key '", key.name(), "')"));
    }
    if (key.workspaces().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ".workspaces: at least one workspace is required (key '", key.name(), "')"));
    }
    auto principal = std::make_shared<core::Principal>();
    principal->key_name = key.name();
    for (const std::string& workspace : key.workspaces()) {
      if (workspace == "*") {
        principal->any_workspace = true;
      } else {
        principal->workspaces.insert(workspace);
      }
    }
    entry.principal = std::move(principal);
    std::vector<Entry>& bucket = auth->keys_[Prefix(entry.digest)];
    for (const Entry& other : bucket) {
      if (other.digest == entry.digest) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ".sha256: same key as key '", other.principal->key_name, "'"));
      }
    }
    bucket.push_back(std::move(entry));
    ++auth->key_count_;
  }
  return auth;
}

absl::StatusOr<std::shared_ptr<const core::Principal>> Authenticator::Authenticate(
    absl::string_view authorization_value) const {
  const absl::string_view value = absl::StripAsciiWhitespace(authorization_value);
  if (value.empty()) {
    return absl::UnauthenticatedError(
        "missing authorization header (expected \"Bearer <api key>\")");
  }
  if (!IsScheme(value)) {
    if (absl::EqualsIgnoreCase(value, "bearer")) {
      return absl::UnauthenticatedError("missing API key after \"Bearer\"");
    }
    return absl::UnauthenticatedError("authorization scheme must be Bearer");
  }
  const absl::string_view key = absl::StripLeadingAsciiWhitespace(value.substr(7));
  if (!IsWellFormedKey(key)) return absl::UnauthenticatedError("malformed API key");

  const Digest digest = Sha256(key);
  const auto it = keys_.find(Prefix(digest));
  if (it != keys_.end()) {
    for (const Entry& entry : it->second) {
      if (CRYPTO_memcmp(entry.digest.data(), digest.data(), digest.size()) == 0) {
        return entry.principal;
      }
    }
  }
  return absl::UnauthenticatedError("unknown API key");
}

absl::Status Authorize(const core::Principal& principal, absl::string_view workspace) {
  if (principal.MayWrite(workspace)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("api key '", principal.key_name, "' may not write workspace '", workspace, "'"));
}

}  // namespace tracegate::auth
