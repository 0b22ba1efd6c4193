// The low-level SHA256_* API is deprecated in OpenSSL 3 but shipped; it is used on purpose
// (as in translate/id_mapping.cc): the EVP path costs ~1 us per call, and the precomputed
// inner/outer states below need a copyable context.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "gateway/privacy/hmac_hasher.h"

#include <openssl/crypto.h>

#include <cstring>

namespace tracegate::privacy {
namespace {

constexpr size_t kBlock = 64;  // SHA-256 block size
constexpr char kHexDigits[] = "0123456789abcdef";

}  // namespace

HmacHasher::HmacHasher(absl::string_view key) {
  unsigned char k[kBlock] = {0};
  if (key.size() > kBlock) {
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), k);
  } else {
    std::memcpy(k, key.data(), key.size());
  }
  unsigned char pad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) pad[i] = k[i] ^ 0x36;
  SHA256_Init(&inner_);
  SHA256_Update(&inner_, pad, kBlock);
  for (size_t i = 0; i < kBlock; ++i) pad[i] = k[i] ^ 0x5c;
  SHA256_Init(&outer_);
  SHA256_Update(&outer_, pad, kBlock);
  OPENSSL_cleanse(k, sizeof(k));
  OPENSSL_cleanse(pad, sizeof(pad));
}

HmacHasher::~HmacHasher() {
  OPENSSL_cleanse(&inner_, sizeof(inner_));
  OPENSSL_cleanse(&outer_, sizeof(outer_));
}

void HmacHasher::AppendHex(absl::string_view value, std::string* out) const {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx = inner_;
  SHA256_Update(&ctx, value.data(), value.size());
  SHA256_Final(digest, &ctx);
  ctx = outer_;
  SHA256_Update(&ctx, digest, sizeof(digest));
  SHA256_Final(digest, &ctx);
  const size_t at = out->size();
  out->resize(at + kHexChars);
  char* p = &(*out)[at];
  for (unsigned char b : digest) {
    *p++ = kHexDigits[b >> 4];
    *p++ = kHexDigits[b & 0x0f];
  }
}

std::string HmacHasher::Hex(absl::string_view value) const {
  std::string out;
  out.reserve(kHexChars);
  AppendHex(value, &out);
  return out;
}

}  // namespace tracegate::privacy
