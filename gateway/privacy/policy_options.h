// The options of one privacy policy (one route's effective policy), in plain C++ types.
// policy_config.h builds them from the YAML config; tests build them directly.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gateway/privacy/pii_scanner.h"

namespace tracegate::privacy {

// What is kept of inputs and outputs.
enum class CaptureMode {
  kFull,      // as sent (credentials are still replaced)
  kTruncate,  // masked like kMask, then at most `truncate_chars` characters per text
  kMask,      // PII patterns replaced by labels ("[EMAIL]", ...)
  kHash,      // every text replaced by its HMAC hex digest; structure, numbers, roles kept
  kDrop,      // inputs and outputs removed
};

enum class UserIdMode { kHash, kKeep, kDrop };

struct PolicyOptions {
  // HMAC-SHA256 key, at least 16 bytes. Never logged.
  std::string hmac_secret;
  UserIdMode user_id = UserIdMode::kHash;
  // Metadata keys hashed (as "<key>_hash") / removed; matched ignoring case, '_', '-', '.'
  // and spaces.
  std::vector<std::string> sensitive_keys;
  std::vector<std::string> drop_keys;
  CaptureMode capture = CaptureMode::kMask;
  uint32_t truncate_chars = 0;  // kTruncate only, >= 1
  PiiScannerOptions patterns;
  // Fraction of traces kept, 0..1, decided by trace id.
  double sample_rate = 1.0;
  bool allow_structured_metadata = false;
  // Default tags and metadata.
  bool enrich = true;
  std::string app_env;       // tag env:<app_env>
  std::string service_name;  // tag service:<service_name>
  std::vector<std::string> tags;
  std::vector<std::pair<std::string, std::string>> metadata;
  std::string app_id;  // when the request names none
  std::string langfuse_project;
  std::string langfuse_dataset;
};

}  // namespace tracegate::privacy
