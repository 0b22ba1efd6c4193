// Authenticates gRPC callers by their API key ("authorization: Bearer <key>").
//
// Keys are configured only as SHA-256 digests (config api_keys[]). Authenticate() hashes
// the presented key, finds the digest and compares it with CRYPTO_memcmp (constant time);
// the index is keyed by the digest, which a caller cannot steer, so lookup timing tells
// nothing about stored keys. The result is the key's Principal (its label and the
// workspaces it may write), shared and immutable.
//
//   absl::StatusOr<std::unique_ptr<Authenticator>> auth = Authenticator::Create(config.api_keys());
//   auto principal = (*auth)->Authenticate(authorization_metadata_value);
//   if (!principal.ok()) return ToGrpc(principal.status());   // UNAUTHENTICATED
//   TG_RETURN_IF_ERROR(Authorize(**principal, event.workspace()));  // PERMISSION_DENIED
//
// Status codes: Create → INVALID_ARGUMENT (bad/duplicate digest, missing name, no
// workspaces; messages name the key's index and label, never a digest). Authenticate →
// UNAUTHENTICATED for a missing or malformed header, a scheme other than Bearer, or an
// unknown key; messages never contain the presented key. Authorize → PERMISSION_DENIED.
// Thread-safety: immutable after Create; Authenticate may run on any thread concurrently.
// Cost: one SHA-256 and one hash lookup per call; no allocation on success (the returned
// shared_ptr is a copy of a stored one).
#pragma once

#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/auth/digest.h"
#include "gateway/core/principal.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "tracegate/config/v1/config.pb.h"

namespace tracegate::auth {

class Authenticator {
 public:
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(
      const google::protobuf::RepeatedPtrField<tracegate::config::v1::ApiKey>& keys);

  // `authorization_value` is the value of the "authorization" metadata entry, e.g.
  // "Bearer tg_...". The scheme is case-insensitive; spaces around the key are ignored.
  absl::StatusOr<std::shared_ptr<const core::Principal>> Authenticate(
      absl::string_view authorization_value) const;

  size_t key_count() const { return key_count_; }

 private:
  struct Entry {
    Digest digest;
    std::shared_ptr<const core::Principal> principal;
  };
  Authenticator() = default;

  // First 8 digest bytes → entry. Collisions among configured keys are resolved by the
  // full comparison (Create refuses identical digests).
  absl::flat_hash_map<uint64_t, std::vector<Entry>> keys_;
  size_t key_count_ = 0;
};

// PERMISSION_DENIED "api key '<label>' may not write workspace '<workspace>'" unless
// `principal` may write `workspace`.
absl::Status Authorize(const core::Principal& principal, absl::string_view workspace);

}  // namespace tracegate::auth
