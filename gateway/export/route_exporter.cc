#include "gateway/export/route_exporter.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/observability/log.h"

namespace tracegate::exporter {
namespace {

// Longest single sleep while waiting: bounds how late a Stop() is noticed.
constexpr absl::Duration kWaitStep = absl::Milliseconds(50);

absl::Status Validate(const RouteExporterOptions& o) {
  if (o.target == nullptr) return absl::InvalidArgumentError("export: no target");
  if (o.target->base_url.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("export: route ", o.target->name, " has no Langfuse base_url"));
  }
  if (o.queue == nullptr) return absl::InvalidArgumentError("export: no queue");
  if (!o.transport_factory) return absl::InvalidArgumentError("export: no transport_factory");
  if (o.max_batch_events == 0) return absl::InvalidArgumentError("export: max_batch_events is 0");
  if (o.max_batch_bytes == 0) return absl::InvalidArgumentError("export: max_batch_bytes is 0");
  if (o.linger < absl::ZeroDuration() || o.initial_backoff < absl::ZeroDuration() ||
      o.max_backoff < o.initial_backoff) {
    return absl::InvalidArgumentError("export: negative linger or backoff, or max < initial");
  }
  if (o.max_attempts < 0) return absl::InvalidArgumentError("export: max_attempts < 0");
  if (o.gzip_level < 0 || o.gzip_level > 9) {
    return absl::InvalidArgumentError("export: gzip_level must be 0..9");
  }
  if (o.workers < 1 || o.workers > 256) {
    return absl::InvalidArgumentError("export: workers must be 1..256");
  }
  return absl::OkStatus();
}

RouteExporterOptions WithDefaults(RouteExporterOptions o) {
  if (o.clock == nullptr) o.clock = &core::Clock::Real();
  if (o.telemetry == nullptr) o.telemetry = &core::Telemetry::Noop();
  return o;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RouteExporter>> RouteExporter::Create(RouteExporterOptions options) {
  absl::Status valid = Validate(options);
  if (!valid.ok()) return valid;
  return std::unique_ptr<RouteExporter>(new RouteExporter(WithDefaults(std::move(options))));
}

RouteExporter::RouteExporter(RouteExporterOptions options)
    : options_(std::move(options)),
      client_(LangfuseClientOptions{.target = options_.target,
                                    .gzip_level = options_.gzip_level,
                                    .sdk_version = options_.service_version}),
      policy_(RetryPolicyOptions{.initial_backoff = options_.initial_backoff,
                                 .max_backoff = options_.max_backoff,
                                 .random = options_.random}) {}

RouteExporter::~RouteExporter() { Stop(options_.clock->Now()); }

absl::Status RouteExporter::Start() {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kCreated) {
    return absl::FailedPreconditionError("export: RouteExporter started twice");
  }
  std::vector<std::unique_ptr<HttpTransport>> transports;
  for (int i = 0; i < options_.workers; ++i) {
    std::unique_ptr<HttpTransport> transport = options_.transport_factory();
    if (transport == nullptr) return absl::InternalError("export: transport_factory failed");
    transports.push_back(std::move(transport));
  }
  transports_ = std::move(transports);
  state_ = State::kRunning;
  for (auto& transport : transports_) {
    threads_.emplace_back([this, t = transport.get()] { Run(t); });
  }
  std::string workers = absl::StrCat(options_.workers);
  log::Info("export started",
            {{"route", options_.target->name},
             {"egress",
              options_.target->egress_auto ? "auto" : core::EgressName(options_.target->egress)},
             {"workers", workers}});
  return absl::OkStatus();
}

void RouteExporter::Stop(absl::Time deadline, StopMode mode) {
  {
    absl::MutexLock lock(&mu_);
    if (state_ != State::kRunning) return;
    state_ = State::kStopping;
    stop_deadline_ = deadline;
    stop_mode_ = mode;
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  absl::MutexLock lock(&mu_);
  state_ = State::kStopped;
}

core::Egress RouteExporter::egress() const {
  absl::MutexLock lock(&mu_);
  if (resolved_egress_.has_value()) return *resolved_egress_;
  return options_.target->egress;
}

bool RouteExporter::StopRequested() const {
  absl::MutexLock lock(&mu_);
  return state_ != State::kRunning;
}

bool RouteExporter::Draining() const {
  absl::MutexLock lock(&mu_);
  return state_ == State::kStopping && stop_mode_ == StopMode::kDrain &&
         options_.clock->Now() < stop_deadline_;
}

absl::Duration RouteExporter::TimeLeft() const {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kRunning) return absl::InfiniteDuration();
  return stop_deadline_ - options_.clock->Now();
}

bool RouteExporter::Wait(absl::Duration d) {
  const absl::Time end = options_.clock->Now() + d;
  while (true) {
    absl::Time now = options_.clock->Now();
    if (now >= end) return true;
    {
      absl::MutexLock lock(&mu_);
      if (state_ != State::kRunning && end > stop_deadline_) return false;
    }
    options_.clock->SleepFor(std::min(end - now, kWaitStep));
  }
}

void RouteExporter::Run(HttpTransport* transport) {
  BatchSender sender(BatchSenderOptions{
      .target = options_.target.get(),
      .client = &client_,
      .transport = transport,
      .policy = &policy_,
      .queue = options_.queue,
      .telemetry = options_.telemetry,
      .clock = options_.clock,
      .max_attempts = options_.max_attempts,
      .max_batch_events = options_.max_batch_events,
      .max_batch_bytes = options_.max_batch_bytes,
      .wait = [this](absl::Duration d) { return Wait(d); },
      .time_left = [this] { return TimeLeft(); },
  });
  std::vector<core::QueueEntry> entries;
  int read_failures = 0;
  size_t events_per_entry = 0;  // unknown until the first entry
  while (!StopRequested() || Draining()) {
    entries.clear();
    const bool draining = StopRequested();
    absl::Status read = Gather(&entries, &events_per_entry);
    bool delivered = true;
    if (!entries.empty()) delivered = Process(entries, sender, *transport);
    if (read.ok()) {
      read_failures = 0;
      // Drained (nothing left for this worker), or Langfuse did not take the batch by the
      // deadline: released entries are not read again in a loop.
      if (draining && (entries.empty() || !delivered)) break;
      continue;
    }
    if (read.code() == absl::StatusCode::kCancelled) break;  // the queue was closed
    if (read_failures++ % 10 == 0) {
      std::string error = read.ToString();
      log::Error("export: queue read failed", {{"route", options_.target->name}, {"error", error}});
    }
    if (!Wait(policy_.Backoff(std::min(read_failures - 1, 16)))) break;
  }
}

absl::Status RouteExporter::Gather(std::vector<core::QueueEntry>* entries,
                                   size_t* events_per_entry) {
  const std::string& route = options_.target->name;
  size_t events = 0;
  size_t bytes = 0;
  absl::Time close_at = absl::InfiniteFuture();
  while (true) {
    // Stopping: read nothing more, unless draining, which reads what is there at once.
    const bool stopping = StopRequested();
    if (stopping && !Draining()) break;
    absl::Duration wait = options_.linger;
    if (!entries->empty()) {
      wait = close_at - options_.clock->Now();
      if (wait <= absl::ZeroDuration()) break;
    }
    if (stopping) wait = absl::ZeroDuration();
    size_t room = options_.max_batch_events - std::min(events, options_.max_batch_events);
    // Until the first entry shows how large entries are, read one at a time.
    size_t max_entries = *events_per_entry == 0 ? 1 : std::max<size_t>(1, room / *events_per_entry);
    absl::StatusOr<std::vector<core::QueueEntry>> got =
        options_.queue->Read(route, max_entries, wait);
    if (!got.ok()) return got.status();
    if (got->empty()) break;  // linger passed (or nothing came while idle)
    if (entries->empty()) close_at = options_.clock->Now() + options_.linger;
    for (core::QueueEntry& entry : *got) {
      events += static_cast<size_t>(entry.batch.events_size());
      bytes += entry.batch.ByteSizeLong();
      in_flight_ += static_cast<size_t>(entry.batch.events_size());
      entries->push_back(std::move(entry));
    }
    *events_per_entry = std::max<size_t>(1, events / entries->size());
    if (events >= options_.max_batch_events || bytes >= options_.max_batch_bytes) break;
  }
  return absl::OkStatus();
}

bool RouteExporter::Process(std::vector<core::QueueEntry>& entries, BatchSender& sender,
                            HttpTransport& transport) {
  const std::string& route = options_.target->name;
  std::vector<BatchEvent> events;
  for (size_t i = 0; i < entries.size(); ++i) {
    for (const v1::TraceEvent& event : entries[i].batch.events()) {
      BatchEvent e;
      e.event = &event;
      e.entry = i;
      events.push_back(std::move(e));
    }
  }
  core::Egress egress = options_.target->egress;
  if (!events.empty() && EnsureEgress(transport, &egress)) sender.Send(egress, events);

  std::vector<bool> done(entries.size(), true);
  for (const BatchEvent& e : events) {
    if (e.state == BatchEvent::State::kPending) done[e.entry] = false;
  }
  std::vector<std::string> ack;
  std::vector<std::string> release;
  for (size_t i = 0; i < entries.size(); ++i) {
    (done[i] ? ack : release).push_back(entries[i].id);
  }
  if (!ack.empty()) {
    absl::Status acked = options_.queue->Ack(route, ack);
    if (!acked.ok()) {
      std::string error = acked.ToString();
      log::Error("export: ack failed; entries will be delivered again",
                 {{"route", route}, {"error", error}});
    }
  }
  if (!release.empty()) {
    absl::Status released = options_.queue->Release(route, release);
    if (!released.ok()) {
      std::string error = released.ToString();
      log::Error("export: release failed", {{"route", route}, {"error", error}});
    }
  }
  in_flight_ -= events.size();
  return release.empty();
}

bool RouteExporter::EnsureEgress(HttpTransport& transport, core::Egress* egress) {
  if (!options_.target->egress_auto) {
    *egress = options_.target->egress;
    return true;
  }
  {
    absl::MutexLock lock(&mu_);
    if (resolved_egress_.has_value()) {
      *egress = *resolved_egress_;
      return true;
    }
  }
  const std::string& route = options_.target->name;
  for (int failures = 0;; ++failures) {
    if (TimeLeft() <= absl::ZeroDuration()) return false;
    absl::StatusOr<core::Egress> got = ResolveEgress(transport, *options_.target);
    if (got.ok() || got.status().code() == absl::StatusCode::kInvalidArgument) {
      *egress = got.ok() ? *got : core::Egress::kOtlp;
      std::string note = got.ok() ? "from /api/public/health" : got.status().ToString();
      log::Info("export: egress resolved",
                {{"route", route}, {"egress", core::EgressName(*egress)}, {"note", note}});
      absl::MutexLock lock(&mu_);
      resolved_egress_ = *egress;
      return true;
    }
    if (failures % 10 == 0) {
      std::string error = got.status().ToString();
      log::Warn("export: cannot resolve egress yet", {{"route", route}, {"error", error}});
    }
    if (!Wait(policy_.Backoff(std::min(failures, 16)))) return false;
  }
}

}  // namespace tracegate::exporter
