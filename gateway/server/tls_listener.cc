#include "gateway/server/tls_listener.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace tracegate::server {
namespace {

constexpr size_t kMaxPemBytes = 1 << 20;

absl::StatusOr<std::string> ReadPem(const std::string& path, const std::string& key_path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string message =
        absl::StrCat(key_path, ": cannot read the file: ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    if (err == EACCES) return absl::PermissionDeniedError(message);
    return absl::InvalidArgumentError(message);
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  if (s.size() > kMaxPemBytes) {
    return absl::InvalidArgumentError(absl::StrCat(key_path, ": larger than 1 MiB"));
  }
  return s;
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioDeleter> Bio(const std::string& pem) {
  return std::unique_ptr<BIO, BioDeleter>(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The certificates in a PEM bundle (0 when none parse).
int CountCertificates(const std::string& pem) {
  auto bio = Bio(pem);
  int n = 0;
  while (true) {
    std::unique_ptr<X509, X509Deleter> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    ++n;
  }
  ERR_clear_error();
  return n;
}

int64_t Millis(const std::string& duration) {
  absl::Duration d;
  if (duration.empty() || !absl::ParseDuration(duration, &d)) return -1;
  return absl::ToInt64Milliseconds(d);
}

}  // namespace

absl::Status CheckTlsFiles(const tracegate::config::v1::Tls& tls) {
  if (tls.cert_file().empty()) return absl::OkStatus();
  auto chain = ReadPem(tls.cert_file(), "security.tls.cert_file");
  if (!chain.ok()) return chain.status();
  auto key_pem = ReadPem(tls.key_file(), "security.tls.key_file");
  if (!key_pem.ok()) return key_pem.status();
  auto cert_bio = Bio(*chain);
  std::unique_ptr<X509, X509Deleter> leaf(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!leaf) {
    ERR_clear_error();
    return absl::InvalidArgumentError("security.tls.cert_file: no PEM certificate in the file");
  }
  auto key_bio = Bio(*key_pem);
  std::unique_ptr<EVP_PKEY, KeyDeleter> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "security.tls.key_file: no unencrypted PEM private key in the file");
  }
  if (X509_check_private_key(leaf.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "security.tls.key_file: does not match the certificate in security.tls.cert_file");
  }
  if (!tls.client_ca_file().empty()) {
    auto ca = ReadPem(tls.client_ca_file(), "security.tls.client_ca_file");
    if (!ca.ok()) return ca.status();
    if (CountCertificates(*ca) == 0) {
      return absl::InvalidArgumentError(
          "security.tls.client_ca_file: no PEM certificate in the file");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenerCredentials(
    const tracegate::config::v1::Tls& tls) {
  if (tls.cert_file().empty()) return grpc::InsecureServerCredentials();
  if (absl::Status st = CheckTlsFiles(tls); !st.ok()) return st;
  int64_t refresh_ms = Millis(tls.refresh_interval());
  const unsigned int refresh_s =
      refresh_ms >= 1000 ? static_cast<unsigned int>(refresh_ms / 1000) : 60;
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key_file(), tls.cert_file(), tls.client_ca_file(), refresh_s);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!tls.client_ca_file().empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  std::shared_ptr<grpc::ServerCredentials> creds =
      grpc::experimental::TlsServerCredentials(options);
  if (!creds) return absl::InternalError("security.tls: gRPC refused the TLS settings");
  return creds;
}

void ApplyConnectionSettings(const tracegate::config::v1::Config& config,
                             grpc::ServerBuilder* builder) {
  const auto& grpc_cfg = config.security().grpc();
  auto set_ms = [builder](const char* arg, const std::string& duration) {
    const int64_t ms = Millis(duration);
    if (ms > 0) {
      builder->AddChannelArgument(arg, static_cast<int>(std::min<int64_t>(ms, INT32_MAX)));
    }
  };
  set_ms(GRPC_ARG_KEEPALIVE_TIME_MS, grpc_cfg.keepalive_time());
  set_ms(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, grpc_cfg.keepalive_timeout());
  set_ms(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
         grpc_cfg.min_client_ping_interval());
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  set_ms(GRPC_ARG_MAX_CONNECTION_IDLE_MS, grpc_cfg.max_connection_idle());
  set_ms(GRPC_ARG_MAX_CONNECTION_AGE_MS, grpc_cfg.max_connection_age());
  set_ms(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, grpc_cfg.max_connection_age_grace());
  if (grpc_cfg.max_concurrent_streams() > 0) {
    builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                                static_cast<int>(grpc_cfg.max_concurrent_streams()));
  }
  // A second gateway on the same port must fail, not silently share it.
  builder->AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  const int max_message = static_cast<int>(config.server().max_receive_message_bytes());
  if (max_message > 0) {
    builder->SetMaxReceiveMessageSize(max_message);
    builder->SetMaxSendMessageSize(max_message);
  }
}

}  // namespace tracegate::server
