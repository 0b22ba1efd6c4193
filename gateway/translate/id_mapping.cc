// The low-level SHA256_Init/Update/Final API is deprecated in OpenSSL 3 but still shipped;
// it is used on purpose: the EVP/provider path (and the SHA256() one-shot built on it)
// costs 0.3-1.3 us per call on OpenSSL 3.0 against ~0.1 us here, and ids are hashed for
// every span.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "gateway/translate/id_mapping.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace tracegate::translate {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes exactly out_len*2 hex digits from `hex`, skipping nothing. False on a non-hex char.
bool DecodeHex(absl::string_view hex, char* out, size_t out_len) {
  if (hex.size() != out_len * 2) return false;
  for (size_t i = 0; i < out_len; ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return true;
}

// A UUID in its 8-4-4-4-12 text form (any case): its 16 bytes.
bool DecodeDashedUuid(absl::string_view id, char* out) {
  if (id.size() != 36) return false;
  if (id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-') return false;
  char digits[32];
  size_t n = 0;
  for (size_t i = 0; i < id.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    digits[n++] = id[i];
  }
  return DecodeHex(absl::string_view(digits, sizeof(digits)), out, 16);
}

bool AllZero(const char* bytes, size_t n) {
  return std::all_of(bytes, bytes + n, [](char c) { return c == 0; });
}

// First n bytes of SHA-256(id); never all zero (the last byte is forced to 1 in the
// astronomically unlikely case that the prefix is all zero).
void Sha256(absl::string_view data, unsigned char* digest) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(digest, &ctx);
}

void HashPrefix(absl::string_view id, char* out, size_t n) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  Sha256(id, digest);
  std::memcpy(out, digest, n);
  if (AllZero(out, n)) out[n - 1] = 1;
}

}  // namespace

TraceIdBytes OtlpTraceIdBytes(absl::string_view id) {
  TraceIdBytes out;
  bool decoded = DecodeHex(id, out.data(), out.size()) || DecodeDashedUuid(id, out.data());
  if (!decoded || AllZero(out.data(), out.size())) HashPrefix(id, out.data(), out.size());
  return out;
}

SpanIdBytes OtlpSpanIdBytes(absl::string_view id) {
  SpanIdBytes out;
  bool decoded = DecodeHex(id, out.data(), out.size());
  if (!decoded || AllZero(out.data(), out.size())) HashPrefix(id, out.data(), out.size());
  return out;
}

std::string OtlpTraceId(absl::string_view id) {
  TraceIdBytes b = OtlpTraceIdBytes(id);
  return std::string(b.data(), b.size());
}

std::string OtlpSpanId(absl::string_view id) {
  SpanIdBytes b = OtlpSpanIdBytes(id);
  return std::string(b.data(), b.size());
}

std::string ToLowerHex(absl::string_view bytes) {
  std::string out(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto v = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kHexDigits[v >> 4];
    out[2 * i + 1] = kHexDigits[v & 0x0f];
  }
  return out;
}

std::string LangfuseTraceIdForOtlp(absl::string_view id) {
  TraceIdBytes b = OtlpTraceIdBytes(id);
  return ToLowerHex(absl::string_view(b.data(), b.size()));
}

std::string LangfuseObservationIdForOtlp(absl::string_view id) {
  SpanIdBytes b = OtlpSpanIdBytes(id);
  return ToLowerHex(absl::string_view(b.data(), b.size()));
}

bool IsLowerHexOf(absl::string_view text, absl::string_view bytes) {
  if (text.size() != bytes.size() * 2) return false;
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto v = static_cast<unsigned char>(bytes[i]);
    if (text[2 * i] != kHexDigits[v >> 4] || text[2 * i + 1] != kHexDigits[v & 0x0f]) {
      return false;
    }
  }
  return true;
}

bool OtlpMappingChangesTraceId(absl::string_view id) {
  TraceIdBytes b = OtlpTraceIdBytes(id);
  return !IsLowerHexOf(id, absl::string_view(b.data(), b.size()));
}

bool OtlpMappingChangesObservationId(absl::string_view id) {
  SpanIdBytes b = OtlpSpanIdBytes(id);
  return !IsLowerHexOf(id, absl::string_view(b.data(), b.size()));
}

std::string EnvelopeId(absl::string_view workspace, absl::string_view event_id) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, workspace.data(), workspace.size());
  SHA256_Update(&ctx, "", 1);  // the '\0' separator
  SHA256_Update(&ctx, event_id.data(), event_id.size());
  SHA256_Final(d, &ctx);
  d[6] = static_cast<unsigned char>((d[6] & 0x0f) | 0x40);  // version 4
  d[8] = static_cast<unsigned char>((d[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHexDigits[d[i] >> 4]);
    out.push_back(kHexDigits[d[i] & 0x0f]);
  }
  return out;
}

}  // namespace tracegate::translate
