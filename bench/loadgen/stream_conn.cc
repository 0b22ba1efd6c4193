// One IngestStream bidi call of the load generator (see driver_internal.h).
#include "bench/loadgen/driver_internal.h"
#include "bench/loadgen/wire.h"

namespace tracegate::bench::internal {

constexpr char kStreamMethod[] = "/tracegate.v1.IngestService/IngestStream";

void StreamConn::Start() {
  if (!driver_->options().api_key.empty()) {
    ctx_.AddMetadata("authorization", "Bearer " + driver_->options().api_key);
  }
  stub_->PrepareBidiStreamingCall(&ctx_, kStreamMethod, grpc::StubOptions(), this);
  AddHold();  // batches are written from the pacer thread, outside reactions
  StartRead(&incoming_);
  StartCall();
  if (driver_->closed_loop()) {
    absl::MutexLock lock(&mu_);
    FillWindowLocked();
  }
}

void StreamConn::Submit(std::unique_ptr<Batch> batch) {
  absl::MutexLock lock(&mu_);
  if (broken_ || stopping_) {
    driver_->Skipped(1);
    return;
  }
  if (static_cast<int>(in_flight_.size()) < driver_->options().window) {
    SendLocked(std::move(batch));
  } else {
    driver_->backlog().fetch_add(1);
    backlog_.push_back(std::move(batch));
  }
}

void StreamConn::SendLocked(std::unique_ptr<Batch> batch) {
  Batch* raw = batch.get();
  in_flight_.emplace(raw->id, std::move(batch));
  writes_.push_back(raw);
  if (!writing_) {
    writing_ = true;
    StartWrite(&raw->bytes);
  }
}

// Moves backlog into free window slots; in closed loop, makes new batches for the rest.
void StreamConn::FillWindowLocked() {
  const int window = driver_->options().window;
  while (!broken_ && static_cast<int>(in_flight_.size()) < window && !backlog_.empty()) {
    driver_->backlog().fetch_sub(1);
    SendLocked(std::move(backlog_.front()));
    backlog_.pop_front();
  }
  while (driver_->closed_loop() && !broken_ && !stopping_ && !driver_->stopping() &&
         static_cast<int>(in_flight_.size()) < window) {
    SendLocked(driver_->MakeBatch(NowNanos()));
  }
}

void StreamConn::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  writing_ = false;
  writes_.pop_front();  // never dereferenced: its batch may already be answered
  if (!ok) broken_ = true;
  if (!broken_ && !writes_.empty()) {
    writing_ = true;
    StartWrite(&writes_.front()->bytes);
  }
  MaybeCloseLocked();
}

void StreamConn::OnReadDone(bool ok) {
  const int64_t now = NowNanos();
  if (!ok) {
    absl::MutexLock lock(&mu_);
    broken_ = true;
    if (!closed_) {
      closed_ = true;
      RemoveHold();
    }
    return;
  }
  std::unique_ptr<Batch> done;
  std::string bytes;
  {
    grpc::Slice slice;
    if (incoming_.DumpToSingleSlice(&slice).ok()) {
      bytes.assign(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  IngestAnswer answer;
  const bool parsed = ReadIngestAnswer(bytes, &answer) && answer.has_batch_id;
  {
    absl::MutexLock lock(&mu_);
    if (parsed) {
      auto it = in_flight_.find(answer.batch_id);
      if (it != in_flight_.end()) {
        done = std::move(it->second);
        in_flight_.erase(it);
      }
    }
  }
  if (done) driver_->Answered(*done, bytes, now);
  absl::MutexLock lock(&mu_);
  FillWindowLocked();
  StartRead(&incoming_);
  MaybeCloseLocked();
}

void StreamConn::Stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  if (!backlog_.empty()) {
    driver_->backlog().fetch_sub(static_cast<int64_t>(backlog_.size()));
    driver_->Skipped(static_cast<int64_t>(backlog_.size()));
    backlog_.clear();
  }
  MaybeCloseLocked();
}

void StreamConn::MaybeCloseLocked() {
  if (!stopping_ || closed_ || !in_flight_.empty() || writing_) return;
  closed_ = true;
  StartWritesDone();
  RemoveHold();
}

void StreamConn::OnDone(const grpc::Status& status) {
  const int64_t now = NowNanos();
  {
    absl::MutexLock lock(&mu_);
    grpc::Status why = status.ok() ? grpc::Status(grpc::StatusCode::UNKNOWN,
                                                  "stream ended before answering")
                                   : status;
    for (auto& [id, batch] : in_flight_) driver_->Failed(*batch, why, now);
    in_flight_.clear();
    if (!backlog_.empty()) {
      driver_->backlog().fetch_sub(static_cast<int64_t>(backlog_.size()));
      driver_->Skipped(static_cast<int64_t>(backlog_.size()));
      backlog_.clear();
    }
  }
  driver_->StreamDone();
}

}  // namespace tracegate::bench::internal
