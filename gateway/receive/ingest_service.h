// The gRPC front door: tracegate.v1.IngestService on the callback API.
//
// Contract
// - Reads "authorization: Bearer <key>" once per call (once per stream) and authenticates
//   it; failures finish the call with UNAUTHENTICATED before any work.
// - Reactors never block: each request batch is handed to the WorkerPool, which runs the
//   IngestPipeline and completes the reactor from the worker thread.
// - Unary Ingest: one response, or a call-level error (INVALID_ARGUMENT, PERMISSION_DENIED,
//   RESOURCE_EXHAUSTED when the worker pool is saturated, UNAVAILABLE while draining).
// - IngestStream: one response per request (same batch_id), possibly out of order; at most
//   `max_in_flight_per_stream` batches are processed at once (reads pause beyond that, so a
//   fast producer is slowed by HTTP/2 flow control instead of growing memory). Call-level
//   problems of one batch are reported as per-event REJECTED results; the stream goes on.
// - BeginDrain(): new calls get UNAVAILABLE; streams finish with UNAVAILABLE once their
//   in-flight batches are answered. A batch without a response was not accepted: resend it.
// Thread-safe. The service must outlive the grpc::Server it is registered with.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gateway/core/principal.h"
#include "gateway/receive/ingest_pipeline.h"
#include "gateway/receive/worker_pool.h"
#include "tracegate/v1/ingest_service.grpc.pb.h"

namespace tracegate::receive {

using Authenticate = std::function<absl::StatusOr<std::shared_ptr<const core::Principal>>(
    absl::string_view authorization)>;

struct IngestServiceOptions {
  Authenticate authenticate;
  const IngestPipeline* pipeline = nullptr;
  WorkerPool* pool = nullptr;
  int max_in_flight_per_stream = 8;
};

class StreamReactor;

class IngestService final : public tracegate::v1::IngestService::CallbackService {
 public:
  explicit IngestService(IngestServiceOptions options);

  grpc::ServerUnaryReactor* Ingest(grpc::CallbackServerContext* ctx,
                                   const tracegate::v1::IngestRequest* request,
                                   tracegate::v1::IngestResponse* response) override;
  grpc::ServerBidiReactor<tracegate::v1::IngestRequest, tracegate::v1::IngestResponse>*
  IngestStream(grpc::CallbackServerContext* ctx) override;

  void BeginDrain();
  bool draining() const { return draining_.load(); }

  // Converts an absl::Status to a grpc::Status with the same canonical code.
  static grpc::Status ToGrpc(const absl::Status& status);

 private:
  friend class StreamReactor;
  absl::StatusOr<std::shared_ptr<const core::Principal>> AuthenticateCall(
      grpc::CallbackServerContext* ctx) const;
  void Unregister(StreamReactor* stream);

  const IngestServiceOptions options_;
  std::atomic<bool> draining_{false};
  absl::Mutex streams_mu_;
  absl::flat_hash_set<StreamReactor*> streams_ ABSL_GUARDED_BY(streams_mu_);
};

}  // namespace tracegate::receive
