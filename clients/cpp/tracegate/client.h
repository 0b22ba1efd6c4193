// A synchronous Tracegate client for C++ tools (the CLI, benchmarks, tests).
//
//   auto client = tracegate::client::Client::Create({.endpoint = "127.0.0.1:50051",
//                                                    .api_key = key});
//   auto response = (*client)->Send(request);            // unary
//   auto responses = (*client)->SendStream(requests);    // one bidi stream
//
// Adds "authorization: Bearer <api_key>" to every call. Errors are the call's gRPC status
// as absl::Status (same canonical code). Thread-safe (gRPC stubs are).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tracegate/v1/ingest_service.grpc.pb.h"

namespace tracegate::client {

struct ClientOptions {
  std::string endpoint = "127.0.0.1:50051";
  std::string api_key;
  bool tls = false;
  std::string ca_file;           // PEM roots for TLS; empty = system roots
  std::string cert_file;         // client certificate for mTLS (optional)
  std::string key_file;
  absl::Duration timeout = absl::Seconds(10);
  // Upper bound of gRPC's reconnect backoff after the gateway went away (gRPC's own
  // default is 120 s, which would delay delivery long after the gateway is back).
  absl::Duration max_reconnect_backoff = absl::Seconds(2);
};

class Client {
 public:
  static absl::StatusOr<std::unique_ptr<Client>> Create(const ClientOptions& options);

  absl::StatusOr<tracegate::v1::IngestResponse> Send(const tracegate::v1::IngestRequest& request);
  // Same, with a deadline of `timeout` instead of options.timeout.
  absl::StatusOr<tracegate::v1::IngestResponse> Send(const tracegate::v1::IngestRequest& request,
                                                     absl::Duration timeout);
  // Sends every request on one stream and returns the responses in request order.
  absl::StatusOr<std::vector<tracegate::v1::IngestResponse>> SendStream(
      const std::vector<tracegate::v1::IngestRequest>& requests);

 private:
  Client(ClientOptions options, std::unique_ptr<tracegate::v1::IngestService::Stub> stub)
      : options_(std::move(options)), stub_(std::move(stub)) {}
  void Prepare(grpc::ClientContext& ctx, absl::Duration timeout) const;

  const ClientOptions options_;
  std::unique_ptr<tracegate::v1::IngestService::Stub> stub_;
};

// Reads a whole file; NOT_FOUND / PERMISSION_DENIED with the path on failure.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace tracegate::client
