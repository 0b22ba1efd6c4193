#include "tests/security/test_certs.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>

namespace tracegate::security_testing {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "test_certs: %s failed\n", what);
  std::abort();
}

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Key NewKey() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) Die("EVP_EC_gen");
  return key;
}

std::string ToPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string ToPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

Cert CertFromPem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  Cert cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!cert) Die("PEM_read_bio_X509");
  return cert;
}

Key KeyFromPem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  Key key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!key) Die("PEM_read_bio_PrivateKey");
  return key;
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) Die("X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key`'s public half with validity [now + from_days, now + to_days].
Cert NewCert(EVP_PKEY* key, const std::string& cn, long from_days, long to_days) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  static std::mt19937_64 rng{std::random_device{}()};
  ASN1_INTEGER_set_int64(X509_get_serialNumber(cert.get()), static_cast<int64_t>(rng() >> 2));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), from_days * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), to_days * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

}  // namespace

Pem MakeCa(const std::string& common_name) {
  Key key = NewKey();
  Cert cert = NewCert(key.get(), common_name, -1, 3650);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  AddExt(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExt(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExt(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) Die("X509_sign");
  return Pem{ToPem(cert.get()), ToPem(key.get())};
}

Pem MakeLeaf(const Pem& ca, const std::string& common_name, LeafKind kind, bool expired) {
  Cert ca_cert = CertFromPem(ca.cert);
  Key ca_key = KeyFromPem(ca.key);
  Key key = NewKey();
  Cert cert =
      expired ? NewCert(key.get(), common_name, -10, -1) : NewCert(key.get(), common_name, -1, 365);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get()));
  AddExt(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExt(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature");
  AddExt(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid");
  if (kind == LeafKind::kServer) {
    AddExt(cert.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth");
    AddExt(cert.get(), ca_cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  } else {
    AddExt(cert.get(), ca_cert.get(), NID_ext_key_usage, "clientAuth");
  }
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) == 0) Die("X509_sign");
  return Pem{ToPem(cert.get()), ToPem(key.get())};
}

void WriteFile(const std::string& path, const std::string& contents) {
  // Write a sibling and rename it, so a file watcher never sees half a file.
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) Die("open");
  if (::write(fd, contents.data(), contents.size()) != static_cast<ssize_t>(contents.size())) {
    Die("write");
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) Die("rename");
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/tracegate-security-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace tracegate::security_testing
