// The gRPC front door: tracegate.v1.IngestService on the callback API.
//
// Contract
// - Reads "authorization: Bearer <key>" once per call (once per stream, and again for the
//   next batch of a stream after a config reload) and authenticates it; failures finish the
//   call with UNAUTHENTICATED before any work. A stream whose key was revoked by a reload
//   gets its next batch REJECTED UNAUTHENTICATED and ends with UNAUTHENTICATED once the
//   batches already in flight are answered.
// - Configuration-dependent stages (authenticator, rate limits, pipeline) come from an
//   IngestScope read once per call (per stream batch), so a reload never mixes two config
//   versions inside one request; the scope is kept alive until the request is answered.
// - Admission (rate limits) runs on the reactor before the batch is handed to a worker:
//   a refused unary call ends with RESOURCE_EXHAUSTED "rate limit of ..." and the trailer
//   "retry-after-ms"; a refused stream batch gets every event REJECTED RESOURCE_EXHAUSTED
//   with `retry_after` set.
// - Deadlines: a call (or stream batch) whose deadline has passed before a worker picks it
//   up is not processed: DEADLINE_EXCEEDED, nothing accepted.
// - "x-request-id" metadata (at most 128 printable ASCII characters, else ignored) is put
//   into the log lines about the call and, for requests that carry no request_id of their
//   own, into IngestRequest.request_id (the privacy policy writes it to trace metadata).
// - Reactors never block: each request batch is handed to the WorkerPool, which runs the
//   IngestPipeline and completes the reactor from the worker thread.
// - Unary Ingest: one response, or a call-level error (INVALID_ARGUMENT, PERMISSION_DENIED,
//   RESOURCE_EXHAUSTED when rate-limited or the worker pool is saturated, DEADLINE_EXCEEDED,
//   UNAVAILABLE while draining).
// - IngestStream: one response per request (same batch_id), possibly out of order; at most
//   `max_in_flight_per_stream` batches are processed at once (reads pause beyond that, so a
//   fast producer is slowed by HTTP/2 flow control instead of growing memory). Call-level
//   problems of one batch are reported as per-event REJECTED results; the stream goes on.
// - BeginDrain(): new calls get UNAVAILABLE; streams finish with UNAVAILABLE once their
//   in-flight batches are answered. A batch without a response was not accepted: resend it.
// Thread-safe. The service must outlive the grpc::Server it is registered with.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/core/principal.h"
#include "gateway/receive/ingest_pipeline.h"
#include "gateway/receive/worker_pool.h"
#include "tracegate/v1/ingest_service.grpc.pb.h"

namespace tracegate::receive {

using Authenticate = std::function<absl::StatusOr<std::shared_ptr<const core::Principal>>(
    absl::string_view authorization)>;

// Admission control of an authenticated request (rate limits), run on the reactor thread:
// must not block. A non-OK status refuses the request; `retry_after` (when set above zero)
// is the hint given to the client.
using Admit = std::function<absl::Status(const core::Principal& principal,
                                         const tracegate::v1::IngestRequest& request,
                                         absl::Duration* retry_after)>;

// The configuration-dependent stages of one config version.
struct IngestScope {
  uint64_t version = 0;
  Authenticate authenticate;
  Admit admit;  // optional
  const IngestPipeline* pipeline = nullptr;
};
// Returns the current scope; the returned pointer keeps the stages alive.
using ScopeProvider = std::function<std::shared_ptr<const IngestScope>()>;

struct IngestServiceOptions {
  // Hot-reloadable stages. When unset, `authenticate` and `pipeline` form a fixed scope.
  ScopeProvider scope;
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
  std::shared_ptr<const IngestScope> CurrentScope() const;
  static absl::StatusOr<std::shared_ptr<const core::Principal>> AuthenticateCall(
      const IngestScope& scope, grpc::CallbackServerContext* ctx);
  void Unregister(StreamReactor* stream);

  const IngestServiceOptions options_;
  std::shared_ptr<const IngestScope> fixed_scope_;  // when options_.scope is unset
  std::atomic<bool> draining_{false};
  absl::Mutex streams_mu_;
  absl::flat_hash_set<StreamReactor*> streams_ ABSL_GUARDED_BY(streams_mu_);
};

}  // namespace tracegate::receive
