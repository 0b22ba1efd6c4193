#include "bench/loadgen/driver.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/loadgen/driver_internal.h"
#include "bench/loadgen/wire.h"

namespace tracegate::bench {
namespace internal {
namespace {

constexpr char kUnaryMethod[] = "/tracegate.v1.IngestService/Ingest";
constexpr char kOtlpMethod[] = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

// A ByteBuffer that owns `bytes` without copying them.
grpc::ByteBuffer OwningBuffer(std::string bytes) {
  auto* owned = new std::string(std::move(bytes));
  grpc::Slice slice(
      owned->data(), owned->size(), [](void* p) { delete static_cast<std::string*>(p); },
      owned);
  return grpc::ByteBuffer(&slice, 1);
}

std::string Flatten(const grpc::ByteBuffer& buffer) {
  grpc::Slice slice;
  if (!buffer.DumpToSingleSlice(&slice).ok()) return "";
  return std::string(reinterpret_cast<const char*>(slice.begin()), slice.size());
}

void CpuTimes(double* user, double* sys) {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  *user = u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6;
  *sys = u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

}  // namespace

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Driver::UnaryCall {
  grpc::ClientContext ctx;
  std::unique_ptr<Batch> batch;
  grpc::ByteBuffer response;
};

Driver::Driver(const DriverOptions& options)
    : options_(options), workload_(options.workload) {
  for (int i = 0; i < options_.connections; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one TCP connection per channel
    args.SetInt("tracegate.bench.channel", i);
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    const std::string& target = options_.targets[i % options_.targets.size()];
    channels_.push_back(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
    stubs_.push_back(std::make_unique<grpc::GenericStub>(channels_.back()));
  }
}

Driver::~Driver() {
  for (StreamConn* s : streams_) delete s;
}

std::unique_ptr<Batch> Driver::MakeBatch(int64_t scheduled_ns) {
  auto batch = std::make_unique<Batch>();
  batch->id = next_batch_id_.fetch_add(1);
  batch->scheduled_ns = scheduled_ns;
  if (options_.protocol == Protocol::kOtlp) {
    const auto& [bytes, spans] = otlp_requests_[batch->id % otlp_requests_.size()];
    batch->bytes = bytes;  // shares the slices
    batch->events = spans;
  } else {
    std::string bytes;
    {
      absl::MutexLock lock(&gen_mu_);
      workload_.NextIngestRequestInto(batch->id, &bytes);
    }
    batch->bytes = OwningBuffer(std::move(bytes));
    batch->events = options_.workload.batch_size;
  }
  absl::MutexLock lock(&stats_mu_);
  ++result_.batches_sent;
  result_.events_sent += batch->events;
  return batch;
}

void Driver::RecordAnswer(const Batch& batch, int64_t accepted, int64_t duplicate,
                          int64_t rejected, int64_t now_ns) {
  answered_events_.fetch_add(batch.events, std::memory_order_relaxed);
  absl::MutexLock lock(&stats_mu_);
  ++result_.batches_answered;
  if (InWindow(now_ns)) {
    result_.accepted += accepted;
    result_.duplicate += duplicate;
    result_.rejected += rejected;
  }
  if (InWindow(batch.scheduled_ns)) result_.latency.Record(now_ns - batch.scheduled_ns);
}

void Driver::Answered(const Batch& batch, absl::string_view response, int64_t now_ns) {
  if (options_.protocol == Protocol::kOtlp) {
    int64_t rejected = 0;
    ReadOtlpRejectedSpans(response, &rejected);
    RecordAnswer(batch, batch.events - rejected, 0, rejected, now_ns);
    return;
  }
  IngestAnswer answer;
  if (!ReadIngestAnswer(response, &answer)) {
    Failed(batch, grpc::Status(grpc::StatusCode::INTERNAL, "unparsable response"), now_ns);
    return;
  }
  if (answer.rejected > 0) {
    absl::MutexLock lock(&stats_mu_);
    if (result_.rejected_samples.size() < 5) {
      result_.rejected_samples.push_back(FirstRejectedReason(response));
    }
  }
  RecordAnswer(batch, answer.accepted, answer.duplicate, answer.rejected, now_ns);
}

void Driver::Failed(const Batch& batch, const grpc::Status& status, int64_t now_ns) {
  absl::MutexLock lock(&stats_mu_);
  ++result_.call_errors[absl::StrCat(status.error_code(), " ",
                                     status.error_message().substr(0, 120))];
  if (InWindow(now_ns)) result_.failed_events += batch.events;
  if (InWindow(batch.scheduled_ns)) result_.latency.Record(now_ns - batch.scheduled_ns);
}

void Driver::Skipped(int64_t batches) {
  absl::MutexLock lock(&stats_mu_);
  result_.skipped_batches += batches;
}

void Driver::StreamDone() {
  absl::MutexLock lock(&stats_mu_);
  --live_streams_;
}

void Driver::SubmitUnary(std::unique_ptr<Batch> batch) {
  {
    absl::MutexLock lock(&unary_mu_);
    if (unary_in_flight_ >= options_.concurrency) {
      backlog_.fetch_add(1);
      unary_backlog_.push_back(std::move(batch));
      return;
    }
    ++unary_in_flight_;
  }
  StartUnary(std::move(batch));
}

void Driver::StartUnary(std::unique_ptr<Batch> batch) {
  auto* call = new UnaryCall;
  call->batch = std::move(batch);
  call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (options_.protocol != Protocol::kOtlp && !options_.api_key.empty()) {
    call->ctx.AddMetadata("authorization", "Bearer " + options_.api_key);
  }
  grpc::GenericStub* stub;
  {
    absl::MutexLock lock(&unary_mu_);
    unary_calls_[call] = true;
    stub = stubs_[next_stub_++ % stubs_.size()].get();
  }
  const char* method = options_.protocol == Protocol::kOtlp ? kOtlpMethod : kUnaryMethod;
  stub->UnaryCall(&call->ctx, method, grpc::StubOptions(), &call->batch->bytes, &call->response,
                  [this, call](grpc::Status status) { UnaryDone(call, status); });
}

void Driver::UnaryDone(UnaryCall* call, const grpc::Status& status) {
  const int64_t now = NowNanos();
  if (status.ok()) {
    Answered(*call->batch, Flatten(call->response), now);
  } else {
    Failed(*call->batch, status, now);
  }
  std::unique_ptr<Batch> next;
  bool make_new = false;
  {
    absl::MutexLock lock(&unary_mu_);
    unary_calls_.erase(call);
    if (!unary_backlog_.empty()) {
      backlog_.fetch_sub(1);
      next = std::move(unary_backlog_.front());
      unary_backlog_.pop_front();
    } else if (closed_loop() && !stopping()) {
      make_new = true;  // keeps this call's slot
    } else {
      --unary_in_flight_;
    }
  }
  delete call;
  if (make_new) next = MakeBatch(now);
  if (next) StartUnary(std::move(next));
}

void Driver::Pace() {
  const double interval_ns = 1e9 * options_.workload.batch_size / options_.rate;
  const int64_t t0 = NowNanos();
  int64_t n = 0;
  size_t next_stream = 0;
  while (!stopping()) {
    const int64_t due = t0 + static_cast<int64_t>(static_cast<double>(n) * interval_ns);
    const int64_t now = NowNanos();
    if (due > now) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<int64_t>(due - now, 2'000'000)));
      continue;
    }
    ++n;
    if (backlog_.load() >= static_cast<int64_t>(options_.max_backlog_batches)) {
      Skipped(1);
      continue;
    }
    std::unique_ptr<Batch> batch = MakeBatch(due);
    if (options_.protocol == Protocol::kStream) {
      streams_[next_stream++ % streams_.size()]->Submit(std::move(batch));
    } else {
      SubmitUnary(std::move(batch));
    }
  }
}


absl::StatusOr<DriverResult> Driver::Run() {
  if (options_.protocol == Protocol::kOtlp) {
    absl::MutexLock lock(&gen_mu_);
    for (int i = 0; i < std::max(1, options_.otlp_distinct_batches); ++i) {
      absl::StatusOr<std::string> request = workload_.OtlpExportRequest();
      if (!request.ok()) return request.status();
      // Spans per request: the batch without its scores.
      int spans = 0;
      for (const auto& [kind, weight] : options_.workload.mix) {
        if (kind != EventKind::kScore) spans += weight;
      }
      int total = 0;
      for (const auto& [kind, weight] : options_.workload.mix) total += weight;
      otlp_requests_.emplace_back(OwningBuffer(*std::move(request)),
                                  options_.workload.batch_size * spans / total);
    }
  }
  const int64_t start = NowNanos();
  window_start_ns_ = start + absl::ToInt64Nanoseconds(options_.warmup);
  window_end_ns_ = window_start_ns_ + absl::ToInt64Nanoseconds(options_.duration);

  if (options_.protocol == Protocol::kStream) {
    for (int i = 0; i < options_.concurrency; ++i) {
      streams_.push_back(new StreamConn(this, stubs_[i % stubs_.size()].get()));
    }
    {
      absl::MutexLock lock(&stats_mu_);
      live_streams_ = static_cast<int>(streams_.size());
    }
    for (StreamConn* s : streams_) s->Start();
  } else if (closed_loop()) {
    for (int i = 0; i < options_.concurrency; ++i) SubmitUnary(MakeBatch(NowNanos()));
  }
  std::thread pacer;
  if (!closed_loop()) pacer = std::thread([this] { Pace(); });

  double user0 = 0, sys0 = 0, user1 = 0, sys1 = 0;
  bool window_started = false;
  int64_t last_events = 0;
  for (int64_t now = NowNanos(); now < window_end_ns_; now = NowNanos()) {
    if (!window_started && now >= window_start_ns_) {
      CpuTimes(&user0, &sys0);
      window_started = true;
    }
    const int64_t wake = std::min(window_end_ns_, window_started ? window_end_ns_ : window_start_ns_);
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<int64_t>(wake - now, 1'000'000'000)));
    if (options_.progress) {
      const int64_t events = answered_events_.load();
      std::fprintf(stderr, "loadgen: %.1fs answered %lld events (+%lld), backlog %lld batches\n",
                   (NowNanos() - start) / 1e9, static_cast<long long>(events),
                   static_cast<long long>(events - last_events),
                   static_cast<long long>(backlog_.load()));
      last_events = events;
    }
  }
  if (!window_started) CpuTimes(&user0, &sys0);
  CpuTimes(&user1, &sys1);
  stopping_.store(true, std::memory_order_release);
  if (pacer.joinable()) pacer.join();
  int64_t dropped = 0;
  {
    absl::MutexLock lock(&unary_mu_);
    dropped = static_cast<int64_t>(unary_backlog_.size());
    unary_backlog_.clear();
    backlog_.fetch_sub(dropped);
  }
  Skipped(dropped);
  for (StreamConn* s : streams_) s->Stop();

  // Wait for the answers still in flight, then cancel what is left.
  const absl::Time give_up = absl::Now() + options_.drain_timeout;
  auto all_done = [this] {  // one lock at a time: UnaryDone takes unary_mu_ then stats_mu_
    {
      absl::MutexLock lock(&stats_mu_);
      if (live_streams_ != 0) return false;
    }
    absl::MutexLock lock(&unary_mu_);
    return unary_in_flight_ == 0;
  };
  while (!all_done() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(5));
  if (!all_done()) {
    for (StreamConn* s : streams_) s->Cancel();
    {
      absl::MutexLock lock(&unary_mu_);
      for (auto& [call, unused] : unary_calls_) call->ctx.TryCancel();
    }
    while (!all_done()) absl::SleepFor(absl::Milliseconds(5));
  }
  absl::MutexLock lock(&stats_mu_);
  DriverResult result = result_;
  result.measured_seconds = (window_end_ns_ - window_start_ns_) / 1e9;
  result.unanswered_batches = result.batches_sent - result.batches_answered;
  result.cpu_user_seconds = user1 - user0;
  result.cpu_system_seconds = sys1 - sys0;
  return result;
}

}  // namespace internal

absl::StatusOr<DriverResult> RunLoad(const DriverOptions& options) {
  if (options.targets.empty()) return absl::InvalidArgumentError("no target");
  if (options.connections < 1 || options.concurrency < 1 || options.window < 1) {
    return absl::InvalidArgumentError("connections, concurrency and window must be >= 1");
  }
  if (options.protocol == Protocol::kOtlp && options.workload.duplicate_ratio > 0) {
    return absl::InvalidArgumentError("otlp: duplicates are not supported");
  }
  if (options.workload.batch_size < 1) return absl::InvalidArgumentError("batch size < 1");
  internal::Driver driver(options);
  return driver.Run();
}

}  // namespace tracegate::bench
