#include "gateway/receive/ingest_service.h"

#include <chrono>
#include <deque>
#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/observability/log.h"

namespace tracegate::receive {

using tracegate::v1::IngestRequest;
using tracegate::v1::IngestResponse;

grpc::Status IngestService::ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

namespace {

constexpr char kDeadlinePassed[] =
    "the call's deadline passed before the batch was processed; nothing was accepted";

// A call-level failure of one streamed batch, spread over its events so the stream survives.
void FillRejected(const IngestRequest& request, const absl::Status& st, IngestResponse& resp,
                  absl::Duration retry_after = absl::ZeroDuration()) {
  resp.Clear();
  resp.set_batch_id(request.batch_id());
  const int64_t ms = absl::ToInt64Milliseconds(retry_after);
  for (const auto& ev : request.events()) {
    auto* r = resp.add_results();
    r->set_event_id(ev.event_id());
    r->set_status(tracegate::v1::EVENT_STATUS_REJECTED);
    r->set_code(static_cast<int32_t>(st.code()));
    r->set_reason(std::string(st.message()));
    if (ms > 0) {
      r->mutable_retry_after()->set_seconds(ms / 1000);
      r->mutable_retry_after()->set_nanos(static_cast<int32_t>((ms % 1000) * 1000000));
    }
  }
  resp.set_rejected(static_cast<uint32_t>(request.events_size()));
}

// The caller's deadline has passed, or the caller is gone (cancelled, connection reset).
bool DeadlinePassed(const grpc::CallbackServerContext* ctx) {
  return ctx->deadline() <= std::chrono::system_clock::now() || ctx->IsCancelled();
}

// The caller's x-request-id when it is short printable ASCII; empty otherwise.
std::string RequestId(const grpc::CallbackServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("x-request-id");
  if (it == md.end() || it->second.size() > 128) return "";
  for (char c : it->second) {
    if (c < 0x21 || c > 0x7E) return "";
  }
  return std::string(it->second.data(), it->second.size());
}

void LogRefusal(absl::string_view what, const std::string& request_id, const absl::Status& st,
                absl::string_view key_name = "") {
  if (!log::Enabled(log::Level::kDebug)) return;
  log::Debug(what, {{"request_id", request_id},
                    {"key", key_name},
                    {"code", absl::StatusCodeToString(st.code())},
                    {"reason", st.message()}});
}

}  // namespace

// One bidi stream. Lives until OnDone(); Finish() is only called when no batch of this
// stream is in a worker any more, so OnDone() never races a worker.
class StreamReactor final : public grpc::ServerBidiReactor<IngestRequest, IngestResponse> {
 public:
  StreamReactor(IngestService* service, grpc::CallbackServerContext* ctx,
                std::shared_ptr<const IngestScope> scope,
                std::shared_ptr<const core::Principal> principal, std::string request_id)
      : service_(service),
        ctx_(ctx),
        request_id_(std::move(request_id)),
        scope_(std::move(scope)),
        principal_(std::move(principal)) {}

  // Called once the service has registered the stream (so OnDone always finds it there).
  void Start() {
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
    if (request->request_id().empty() && !request_id_.empty()) {
      request->set_request_id(request_id_);
    }
    absl::Duration retry_after;
    absl::Status refused = CheckLocked(*request, &retry_after);
    if (refused.ok()) {
      ++in_flight_;
      bool submitted =
          service_->options_.pool->Submit([this, request, scope = scope_, principal = principal_] {
            auto response = std::make_unique<IngestResponse>();
            if (DeadlinePassed(ctx_)) {
              FillRejected(*request, absl::DeadlineExceededError(kDeadlinePassed), *response);
            } else if (absl::Status st = scope->pipeline->Process(*principal, *request, *response);
                       !st.ok()) {
              FillRejected(*request, st, *response);
            }
            Complete(std::move(response));
          });
      if (!submitted) {
        --in_flight_;
        refused = absl::ResourceExhaustedError("gateway overloaded, resend this batch later");
        retry_after = absl::Seconds(1);
      }
    }
    if (!refused.ok()) {
      auto response = std::make_unique<IngestResponse>();
      FillRejected(*request, refused, *response, retry_after);
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
  // Re-authenticates after a reload, checks the deadline and the rate limits of one batch.
  absl::Status CheckLocked(const IngestRequest& request, absl::Duration* retry_after)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::shared_ptr<const IngestScope> current = service_->CurrentScope();
    if (current->version != scope_->version) {
      auto principal = IngestService::AuthenticateCall(*current, ctx_);
      if (!principal.ok()) {
        revoked_ = true;  // no more reads; the stream ends UNAUTHENTICATED
        LogRefusal("stream refused after reload", request_id_, principal.status());
        return principal.status();
      }
      scope_ = std::move(current);
      principal_ = *std::move(principal);
    }
    if (DeadlinePassed(ctx_)) return absl::DeadlineExceededError(kDeadlinePassed);
    if (scope_->admit) {
      absl::Status st = scope_->admit(*principal_, request, retry_after);
      if (!st.ok()) {
        LogRefusal("stream batch refused", request_id_, st, principal_->key_name);
        return st;
      }
    }
    return absl::OkStatus();
  }

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
    if (reading_ || reads_done_ || finished_ || draining_ || revoked_) return;
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
    if (revoked_) {
      finished_ = true;
      Finish(grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "the API key of this stream is no longer valid"));
    } else if (reads_done_) {
      finished_ = true;
      Finish(grpc::Status::OK);
    } else if (draining_) {
      finished_ = true;
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "gateway is shutting down; resend unanswered batches elsewhere"));
    }
  }

  IngestService* const service_;
  grpc::CallbackServerContext* const ctx_;
  const std::string request_id_;
  absl::Mutex mu_;
  std::shared_ptr<const IngestScope> scope_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const core::Principal> principal_ ABSL_GUARDED_BY(mu_);
  IngestRequest incoming_ ABSL_GUARDED_BY(mu_);
  std::deque<std::unique_ptr<IngestResponse>> writes_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool revoked_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

IngestService::IngestService(IngestServiceOptions options) : options_(std::move(options)) {
  if (!options_.scope) {
    auto fixed = std::make_shared<IngestScope>();
    fixed->authenticate = options_.authenticate;
    fixed->pipeline = options_.pipeline;
    fixed_scope_ = std::move(fixed);
  }
}

std::shared_ptr<const IngestScope> IngestService::CurrentScope() const {
  return options_.scope ? options_.scope() : fixed_scope_;
}

absl::StatusOr<std::shared_ptr<const core::Principal>> IngestService::AuthenticateCall(
    const IngestScope& scope, grpc::CallbackServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) {
    return absl::UnauthenticatedError("missing \"authorization: Bearer <api key>\" metadata");
  }
  return scope.authenticate(absl::string_view(it->second.data(), it->second.size()));
}

grpc::ServerUnaryReactor* IngestService::Ingest(grpc::CallbackServerContext* ctx,
                                                const IngestRequest* request,
                                                IngestResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (draining_.load()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "gateway is shutting down"));
    return reactor;
  }
  std::shared_ptr<const IngestScope> scope = CurrentScope();
  const std::string request_id = RequestId(ctx);
  auto principal = AuthenticateCall(*scope, ctx);
  if (!principal.ok()) {
    LogRefusal("call refused", request_id, principal.status());
    reactor->Finish(ToGrpc(principal.status()));
    return reactor;
  }
  if (DeadlinePassed(ctx)) {
    reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, kDeadlinePassed));
    return reactor;
  }
  if (scope->admit) {
    absl::Duration retry_after;
    absl::Status st = scope->admit(**principal, *request, &retry_after);
    if (!st.ok()) {
      LogRefusal("call refused", request_id, st, (*principal)->key_name);
      if (retry_after > absl::ZeroDuration()) {
        ctx->AddTrailingMetadata("retry-after-ms",
                                 absl::StrCat(absl::ToInt64Milliseconds(retry_after)));
      }
      reactor->Finish(ToGrpc(st));
      return reactor;
    }
  }
  // gRPC owns `request` until Finish(); the pipeline moves accepted events out of it.
  auto* mutable_request = const_cast<IngestRequest*>(request);
  if (request->request_id().empty() && !request_id.empty()) {
    mutable_request->set_request_id(request_id);
  }
  const bool submitted = options_.pool->Submit(
      [ctx, reactor, mutable_request, response, scope, p = *std::move(principal)] {
        if (DeadlinePassed(ctx)) {
          reactor->Finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, kDeadlinePassed));
          return;
        }
        reactor->Finish(ToGrpc(scope->pipeline->Process(*p, *mutable_request, *response)));
      });
  if (!submitted) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "gateway overloaded, resend later"));
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
  std::shared_ptr<const IngestScope> scope = CurrentScope();
  auto principal = AuthenticateCall(*scope, ctx);
  if (!principal.ok()) {
    LogRefusal("stream refused", RequestId(ctx), principal.status());
    return new Refuse(ToGrpc(principal.status()));
  }
  auto* stream =
      new StreamReactor(this, ctx, std::move(scope), *std::move(principal), RequestId(ctx));
  {
    absl::MutexLock lock(&streams_mu_);
    streams_.insert(stream);
  }
  stream->Start();
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
