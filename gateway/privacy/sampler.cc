// Low-level SHA256 API on purpose (see translate/id_mapping.cc).
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "gateway/privacy/sampler.h"

#include <openssl/sha.h>

namespace tracegate::privacy {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The 32 hex digits of a plain or dashed (8-4-4-4-12) id into 16 bytes.
bool DecodeHexId(absl::string_view id, unsigned char* out) {
  const bool dashed =
      id.size() == 36 && id[8] == '-' && id[13] == '-' && id[18] == '-' && id[23] == '-';
  if (id.size() != 32 && !dashed) return false;
  size_t n = 0;
  int hi = -1;
  for (size_t i = 0; i < id.size(); ++i) {
    if (dashed && (i == 8 || i == 13 || i == 18 || i == 23)) continue;
    const int v = HexValue(id[i]);
    if (v < 0) return false;
    if (hi < 0) {
      hi = v;
    } else {
      out[n++] = static_cast<unsigned char>((hi << 4) | v);
      hi = -1;
    }
  }
  return n == 16;
}

bool AllZero(const unsigned char* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

}  // namespace

uint64_t TraceIdLow64(absl::string_view trace_id) {
  unsigned char bytes[SHA256_DIGEST_LENGTH];
  if (!DecodeHexId(trace_id, bytes) || AllZero(bytes, 16)) {
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, trace_id.data(), trace_id.size());
    SHA256_Final(bytes, &ctx);
    if (AllZero(bytes, 16)) bytes[15] = 1;  // as translate/ does
  }
  uint64_t low = 0;
  for (int i = 8; i < 16; ++i) low = (low << 8) | bytes[i];
  return low;
}

bool KeepTrace(absl::string_view trace_id, double rate) {
  if (!(rate > 0.0)) return false;
  if (rate >= 1.0) return true;
  const long double bound = static_cast<long double>(rate) * 18446744073709551616.0L;
  if (bound >= 18446744073709551615.0L) return true;
  return TraceIdLow64(trace_id) < static_cast<uint64_t>(bound);
}

}  // namespace tracegate::privacy
