// The gRPC listener's transport: TLS / mTLS credentials and HTTP/2 connection settings
// (config `security.tls`, `security.grpc`, `server.max_receive_message_bytes`).
//
//   auto creds = ListenerCredentials(config.security().tls());   // checks the files now
//   if (!creds.ok()) return creds.status();
//   builder.AddListeningPort(config.server().grpc_listen(), *creds, &port);
//   ApplyConnectionSettings(config, &builder);
//
// TLS: with tls.cert_file and tls.key_file the listener speaks TLS (1.2 or 1.3), reading the
// PEM files through grpc::experimental::FileWatcherCertificateProvider every
// tls.refresh_interval: a rotated certificate is served to new connections without a
// restart (replace both files; when the new pair does not load, gRPC keeps serving the last
// good one and logs the error). With tls.client_ca_file every client must present a
// certificate that chains to that CA and is valid now (mTLS); others fail the handshake.
// Without cert_file: plaintext HTTP/2 (for a mesh sidecar that terminates mTLS).
// Start-time check (so a typo fails Start, not every handshake): each file must be
// readable; the chain and key must parse as PEM and the key must match the first
// certificate; the CA bundle must hold at least one certificate. Errors:
// INVALID_ARGUMENT / NOT_FOUND / PERMISSION_DENIED "security.tls.<field>: <problem>";
// messages name the key path and the problem, never file contents.
// Connection settings: keepalive pings (GRPC_ARG_KEEPALIVE_TIME_MS / _TIMEOUT_MS), the
// shortest client ping interval accepted (GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
// pings without calls allowed), max connection idle / age / age grace
// (GRPC_ARG_MAX_CONNECTION_IDLE_MS, _AGE_MS, _AGE_GRACE_MS), max concurrent streams, and
// the largest message in both directions. No SO_REUSEPORT.
// Thread-safety: pure functions; call them while building the server.
#pragma once

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <memory>

#include "absl/status/statusor.h"
#include "tracegate/config/v1/config.pb.h"

namespace tracegate::server {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenerCredentials(
    const tracegate::config::v1::Tls& tls);

// Checks the TLS files as described above; OK when TLS is off.
absl::Status CheckTlsFiles(const tracegate::config::v1::Tls& tls);

void ApplyConnectionSettings(const tracegate::config::v1::Config& config,
                             grpc::ServerBuilder* builder);

}  // namespace tracegate::server
