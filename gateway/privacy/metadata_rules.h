// Internal to privacy/: Langfuse metadata (trace, observation, score) under a policy.
//   drop keys          removed
//   sensitive keys     "<key>" removed, "<key>_hash" = HMAC hex of its scalar value
//                      (numbers by their decimal text, booleans "true"/"false"); a nested
//                      value under a sensitive key is removed
//   nested values      removed unless allow_structured_metadata; when allowed, the same
//                      rules apply inside
//   strings            PII replaced unless the capture mode is full; credentials always
//   numbers            PII digits (a phone number sent as a number) replaced outside full
// Matching of keys: see Rules::ClassifyKey. Never fails.
#pragma once

#include "gateway/privacy/rules.h"
#include "google/protobuf/struct.pb.h"

namespace tracegate::privacy::internal {

void ApplyMetadata(const Rules& rules, bool allow_structured, google::protobuf::Struct* metadata);

}  // namespace tracegate::privacy::internal
