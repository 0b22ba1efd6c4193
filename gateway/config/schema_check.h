// Checks a JSON document against a protobuf message descriptor before the protobuf JSON
// parser sees it, so that every problem is reported with its key path
// ("routes[0].egres: unknown key", "export.gzip_level: must be an integer").
//
// Also normalises the document in place: null values are removed (a null key means
// "not set"), numeric strings in integer/float fields become numbers, "true"/"false"
// strings in bool fields become booleans. Only proto field names (snake_case) are keys.
// Returns INVALID_ARGUMENT "<key path>: <problem>"; messages never contain values.
// Thread-safety: pure function.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "nlohmann/json.hpp"

namespace tracegate::config {

absl::Status CheckAgainstSchema(const google::protobuf::Descriptor& descriptor,
                                const std::string& path, nlohmann::json* value);

}  // namespace tracegate::config
