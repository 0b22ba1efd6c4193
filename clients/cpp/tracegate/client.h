// A synchronous Tracegate client for C++ tools (the CLI, benchmarks, tests).
//
//   auto client = tracegate::client::Client::Create({.endpoint = "127.0.0.1:50051",
//                                                    .api_key = key});
//   auto response = (*client)->Send(request);            // unary
//   auto responses = (*client)->SendStream(requests);    // one bidi stream
//
// Adds "authorization: Bearer <api_key>" to every call, and options.app_id as the app_id of
// every request that sets none. Errors are the call's gRPC status
// as absl::Status (same canonical code). Thread-safe (gRPC stubs are).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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
  // IngestRequest.app_id of every request (with enrichment on, the gateway tags the trace
  // app:<app_id> and sets its metadata app_id). At most 200 bytes, no control characters
  // (the gateway's rule); an invalid id is logged once (stderr) and not sent.
  std::string app_id;
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
  // Sets options.app_id on a request that has none.
  void StampAppId(tracegate::v1::IngestRequest& request) const;

  const ClientOptions options_;
  std::unique_ptr<tracegate::v1::IngestService::Stub> stub_;
};

// Why the gateway would refuse `value` as IngestRequest.app_id (more than 200 bytes, or a
// control character: below 0x20, or 0x7F); empty when it is fine.
std::string AppIdProblem(absl::string_view value);

// Reads a whole file; NOT_FOUND / PERMISSION_DENIED with the path on failure.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace tracegate::client
