#include "gateway/receive/ingest_service.h"

#include <deque>
#include <string>

namespace tracegate::receive {

using tracegate::v1::IngestRequest;
using tracegate::v1::IngestResponse;

grpc::Status IngestService::ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

namespace {

// A call-level failure of one streamed batch, spread over its events so the stream survives.
void FillRejected(const IngestRequest& request, const absl::Status& st, IngestResponse& resp) {
  resp.Clear();
  resp.set_batch_id(request.batch_id());
  for (const auto& ev : request.events()) {
    auto* r = resp.add_results();
    r->set_event_id(ev.event_id());
    r->set_status(tracegate::v1::EVENT_STATUS_REJECTED);
    r->set_code(static_cast<int32_t>(st.code()));
    r->set_reason(std::string(st.message()));
  }
  resp.set_rejected(static_cast<uint32_t>(request.events_size()));
}

}  // namespace

// One bidi stream. Lives until OnDone(); Finish() is only called when no batch of this
// stream is in a worker any more, so OnDone() never races a worker.
class StreamReactor final
    : public grpc::ServerBidiReactor<IngestRequest, IngestResponse> {
 public:
  StreamReactor(IngestService* service, std::shared_ptr<const core::Principal> principal)
      : service_(service), principal_(std::move(principal)) {
    absl::MutexLock lock(&mu_);
    StartReadLocked();
  }

  void OnReadDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    reading_ = false;
    if (!ok) {
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    if (finished_) return;
    auto request = std::make_shared<IngestRequest>();
    request->Swap(&incoming_);
    ++in_flight_;
    const IngestPipeline* pipeline = service_->options_.pipeline;
    bool submitted = service_->options_.pool->Submit([this, request, pipeline] {
      auto response = std::make_unique<IngestResponse>();
      absl::Status st = pipeline->Process(*principal_, *request, *response);
      if (!st.ok()) FillRejected(*request, st, *response);
      Complete(std::move(response));
    });
    if (!submitted) {
      auto response = std::make_unique<IngestResponse>();
      FillRejected(*request,
                   absl::ResourceExhaustedError("gateway overloaded, resend this batch later"),
                   *response);
      --in_flight_;
      writes_.push_back(std::move(response));
      StartWriteLocked();
    }
    if (in_flight_ + static_cast<int>(writes_.size()) <
        service_->options_.max_in_flight_per_stream) {
      StartReadLocked();
    }
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    writes_.pop_front();
    if (!ok) write_failed_ = true;
    StartWriteLocked();
    if (!reading_ && !reads_done_ && !finished_ &&
        in_flight_ + static_cast<int>(writes_.size()) <
            service_->options_.max_in_flight_per_stream) {
      StartReadLocked();
    }
    MaybeFinishLocked();
  }

  void Drain() {
    absl::MutexLock lock(&mu_);
    draining_ = true;
    MaybeFinishLocked();
  }

  void OnDone() override {
    service_->Unregister(this);
    delete this;
  }

 private:
  void Complete(std::unique_ptr<IngestResponse> response) {
    absl::MutexLock lock(&mu_);
    --in_flight_;
    writes_.push_back(std::move(response));
    StartWriteLocked();
    if (!reading_ && !reads_done_ && !finished_ &&
        in_flight_ + static_cast<int>(writes_.size()) <
            service_->options_.max_in_flight_per_stream) {
      StartReadLocked();
    }
    MaybeFinishLocked();
  }

  void StartReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (reading_ || reads_done_ || finished_ || draining_) return;
    reading_ = true;
    StartRead(&incoming_);
  }

  void StartWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || writes_.empty() || finished_) return;
    if (write_failed_) {  // the client is gone; drop answers nobody can read
      writes_.clear();
      return;
    }
    writing_ = true;
    StartWrite(writes_.front().get());
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || in_flight_ > 0 || writing_ || !writes_.empty()) return;
    if (reads_done_) {
      finished_ = true;
      Finish(grpc::Status::OK);
    } else if (draining_) {
      finished_ = true;
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "gateway is shutting down; resend unanswered batches elsewhere"));
    }
  }

  IngestService* const service_;
  const std::shared_ptr<const core::Principal> principal_;
  absl::Mutex mu_;
  IngestRequest incoming_ ABSL_GUARDED_BY(mu_);
  std::deque<std::unique_ptr<IngestResponse>> writes_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

IngestService::IngestService(IngestServiceOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::shared_ptr<const core::Principal>> IngestService::AuthenticateCall(
    grpc::CallbackServerContext* ctx) const {
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) {
    return absl::UnauthenticatedError(
        "missing \"authorization: Bearer <api key>\" metadata");
  }
  return options_.authenticate(absl::string_view(it->second.data(), it->second.size()));
}

grpc::ServerUnaryReactor* IngestService::Ingest(grpc::CallbackServerContext* ctx,
                                                const IngestRequest* request,
                                                IngestResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (draining_.load()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "gateway is shutting down"));
    return reactor;
  }
  auto principal = AuthenticateCall(ctx);
  if (!principal.ok()) {
    reactor->Finish(ToGrpc(principal.status()));
    return reactor;
  }
  // gRPC owns `request` until Finish(); the pipeline moves accepted events out of it.
  auto* mutable_request = const_cast<IngestRequest*>(request);
  const IngestPipeline* pipeline = options_.pipeline;
  const bool submitted = options_.pool->Submit(
      [reactor, mutable_request, response, pipeline, p = *std::move(principal)] {
        reactor->Finish(ToGrpc(pipeline->Process(*p, *mutable_request, *response)));
      });
  if (!submitted) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "gateway overloaded, resend later"));
  }
  return reactor;
}

grpc::ServerBidiReactor<IngestRequest, IngestResponse>* IngestService::IngestStream(
    grpc::CallbackServerContext* ctx) {
  class Refuse final : public grpc::ServerBidiReactor<IngestRequest, IngestResponse> {
   public:
    explicit Refuse(grpc::Status st) { Finish(std::move(st)); }
    void OnDone() override { delete this; }
  };
  if (draining_.load()) {
    return new Refuse(grpc::Status(grpc::StatusCode::UNAVAILABLE, "gateway is shutting down"));
  }
  auto principal = AuthenticateCall(ctx);
  if (!principal.ok()) return new Refuse(ToGrpc(principal.status()));
  auto* stream = new StreamReactor(this, *std::move(principal));
  absl::MutexLock lock(&streams_mu_);
  streams_.insert(stream);
  return stream;
}

void IngestService::Unregister(StreamReactor* stream) {
  absl::MutexLock lock(&streams_mu_);
  streams_.erase(stream);
}

void IngestService::BeginDrain() {
  draining_.store(true);
  absl::MutexLock lock(&streams_mu_);
  for (StreamReactor* s : streams_) s->Drain();
}

}  // namespace tracegate::receive
