// gzip (RFC 1952) compression of request bodies with zlib, and the reverse for tests and
// tools. Pure functions, thread-safe.
// - Gzip: INVALID_ARGUMENT for a level outside 0..9, INTERNAL if zlib fails.
// - Gunzip: INVALID_ARGUMENT for data that is not a complete gzip (or zlib) stream, or that
//   would expand beyond `max_output` bytes (zip bombs).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tracegate::exporter {

absl::StatusOr<std::string> Gzip(absl::string_view data, int level);

absl::StatusOr<std::string> Gunzip(absl::string_view data, size_t max_output = 256 << 20);

}  // namespace tracegate::exporter
