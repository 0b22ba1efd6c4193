// Internals of RunLoad(): the Driver (shared counters, batch making, pacing) and one bidi
// stream connection. Not a public API; see driver.h.
#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "bench/loadgen/driver.h"

namespace tracegate::bench::internal {

int64_t NowNanos();

struct Batch {
  uint64_t id = 0;
  int events = 0;
  int64_t scheduled_ns = 0;
  grpc::ByteBuffer bytes;
};

class StreamConn;

class Driver {
 public:
  explicit Driver(const DriverOptions& options);
  ~Driver();
  absl::StatusOr<DriverResult> Run();

  // A new batch scheduled at `scheduled_ns` (thread-safe).
  std::unique_ptr<Batch> MakeBatch(int64_t scheduled_ns);
  bool closed_loop() const { return options_.rate <= 0; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  const DriverOptions& options() const { return options_; }

  // Results, from any thread.
  void Answered(const Batch& batch, absl::string_view response, int64_t now_ns);
  void Failed(const Batch& batch, const grpc::Status& status, int64_t now_ns);
  void Skipped(int64_t batches);
  void StreamDone();
  std::atomic<int64_t>& backlog() { return backlog_; }

 private:
  struct UnaryCall;
  void Pace();
  void SubmitUnary(std::unique_ptr<Batch> batch);
  void StartUnary(std::unique_ptr<Batch> batch);
  void UnaryDone(UnaryCall* call, const grpc::Status& status);
  void RecordAnswer(const Batch& batch, int64_t accepted, int64_t duplicate, int64_t rejected,
                    int64_t now_ns);
  bool InWindow(int64_t t) const { return t >= window_start_ns_ && t < window_end_ns_; }

  const DriverOptions options_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  std::vector<StreamConn*> streams_;  // owned; deleted after OnDone

  absl::Mutex gen_mu_;
  Workload workload_ ABSL_GUARDED_BY(gen_mu_);
  std::string scratch_ ABSL_GUARDED_BY(gen_mu_);
  std::vector<std::pair<grpc::ByteBuffer, int>> otlp_requests_;  // (bytes, spans)
  std::atomic<uint64_t> next_batch_id_{1};

  std::atomic<bool> stopping_{false};
  int64_t window_start_ns_ = 0;
  int64_t window_end_ns_ = 0;
  std::atomic<int64_t> backlog_{0};
  std::atomic<int64_t> answered_events_{0};  // any time; for progress lines

  absl::Mutex stats_mu_;
  DriverResult result_ ABSL_GUARDED_BY(stats_mu_);
  int live_streams_ ABSL_GUARDED_BY(stats_mu_) = 0;

  absl::Mutex unary_mu_;
  int unary_in_flight_ ABSL_GUARDED_BY(unary_mu_) = 0;
  std::deque<std::unique_ptr<Batch>> unary_backlog_ ABSL_GUARDED_BY(unary_mu_);
  absl::flat_hash_map<UnaryCall*, bool> unary_calls_ ABSL_GUARDED_BY(unary_mu_);
  size_t next_stub_ ABSL_GUARDED_BY(unary_mu_) = 0;
};

// One IngestStream call with up to `window` batches in flight and a backlog beyond.
class StreamConn final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  StreamConn(Driver* driver, grpc::GenericStub* stub) : driver_(driver), stub_(stub) {}
  void Start();
  void Submit(std::unique_ptr<Batch> batch);
  void Stop();
  void Cancel() { ctx_.TryCancel(); }

  void OnWriteDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  void SendLocked(std::unique_ptr<Batch> batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FillWindowLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeCloseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Driver* const driver_;
  grpc::GenericStub* const stub_;
  grpc::ClientContext ctx_;
  grpc::ByteBuffer incoming_;
  absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Batch>> in_flight_ ABSL_GUARDED_BY(mu_);
  std::deque<Batch*> writes_ ABSL_GUARDED_BY(mu_);  // point into in_flight_
  std::deque<std::unique_ptr<Batch>> backlog_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;  // hold removed
};

}  // namespace tracegate::bench::internal
