#include "tracegate/batching_client.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tracegate::client {
namespace {

using tracegate::v1::EventResult;
using tracegate::v1::IngestRequest;
using tracegate::v1::IngestResponse;
using tracegate::v1::TraceEvent;

constexpr size_t kMaxLoggedReasons = 100;

std::string Env(const char* name, const char* dflt = "") {
  const char* v = std::getenv(name);
  return v && *v ? v : dflt;
}

bool Truthy(const std::string& v) {
  return v == "1" || v == "true" || v == "TRUE" || v == "yes" || v == "on";
}

bool RetryableCall(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kInternal:
      return true;
    default:
      return false;
  }
}

bool RetryableEvent(int code) {
  return code == static_cast<int>(absl::StatusCode::kUnavailable) ||
         code == static_cast<int>(absl::StatusCode::kResourceExhausted);
}

}  // namespace

BatchingClientOptions BatchingClientOptions::FromEnv() {
  BatchingClientOptions o;
  o.client.endpoint = Env("TRACEGATE_ENDPOINT", "127.0.0.1:50051");
  o.client.api_key = Env("TRACEGATE_API_KEY");
  o.client.tls = Truthy(Env("TRACEGATE_TLS"));
  o.client.ca_file = Env("TRACEGATE_CA_FILE");
  o.client.cert_file = Env("TRACEGATE_CERT_FILE");
  o.client.key_file = Env("TRACEGATE_KEY_FILE");
  o.default_workspace = Env("TRACEGATE_WORKSPACE", "default");
  return o;
}

absl::StatusOr<std::unique_ptr<BatchingClient>> BatchingClient::Create(
    BatchingClientOptions options) {
  if (!options.log) {
    options.log = [](absl::string_view line) { std::cerr << "tracegate: " << line << "\n"; };
  }
  options.max_queue_events = std::max<size_t>(1, options.max_queue_events);
  options.max_batch_events = std::max<size_t>(1, options.max_batch_events);
  std::unique_ptr<Client> client;
  if (!options.client.api_key.empty()) {
    auto created = Client::Create(options.client);
    if (!created.ok()) return created.status();
    client = *std::move(created);
  }
  return std::unique_ptr<BatchingClient>(new BatchingClient(std::move(options), std::move(client)));
}

BatchingClient::BatchingClient(BatchingClientOptions options, std::unique_ptr<Client> client)
    : options_(std::move(options)), client_(std::move(client)) {
  if (client_ == nullptr) {
    WarnOnce("disabled", "no API key (TRACEGATE_API_KEY); tracing is disabled, events dropped");
    absl::MutexLock lock(&mu_);
    closing_ = true;
    return;
  }
  thread_ = std::thread([this] { Run(); });
}

BatchingClient::~BatchingClient() { Shutdown(options_.shutdown_timeout); }

bool BatchingClient::Enqueue(TraceEvent event) noexcept {
  bool full = false;
  {
    absl::MutexLock lock(&mu_);
    if (closing_ || queue_.size() >= options_.max_queue_events) {
      ++counts_.dropped;
      full = !closing_;
    } else {
      try {
        queue_.push_back(std::move(event));
      } catch (...) {  // allocation failure: drop, never throw into the caller
        ++counts_.dropped;
        return false;
      }
      ++enqueued_;
      return true;
    }
  }
  if (full) {
    WarnOnce("full", absl::StrCat("queue full (", options_.max_queue_events,
                                  " events); dropping events until the gateway catches up"));
  }
  return false;
}

bool BatchingClient::Flush(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const uint64_t target = enqueued_;
  flush_wanted_ = std::max(flush_wanted_, target);
  auto done = [this, target]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return resolved_ >= target; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

void BatchingClient::Shutdown(absl::Duration timeout) {
  {
    absl::MutexLock lock(&mu_);
    if (!closing_) {
      closing_ = true;
      abandon_at_ = absl::Now() + std::max(timeout, absl::ZeroDuration());
    }
  }
  if (thread_.joinable()) thread_.join();
}

BatchingCounters BatchingClient::counters() const {
  absl::MutexLock lock(&mu_);
  BatchingCounters c = counts_;
  c.queued = enqueued_ - resolved_;
  return c;
}

std::vector<TraceEvent> BatchingClient::NextBatch() {
  absl::MutexLock lock(&mu_);
  absl::Time linger_end = absl::InfiniteFuture();
  while (true) {
    const size_t n = queue_.size();
    if (n >= options_.max_batch_events) break;
    if (n > 0 && (closing_ || flush_wanted_ > resolved_)) break;
    if (n == 0 && closing_) return {};
    if (n > 0 && linger_end == absl::InfiniteFuture()) linger_end = absl::Now() + options_.linger;
    if (n > 0 && absl::Now() >= linger_end) break;
    // Wake up when the state that decides changes (size, closing, flush) or at linger end.
    const uint64_t wanted = flush_wanted_;
    auto changed = [this, n, wanted]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return queue_.size() >= options_.max_batch_events || closing_ || flush_wanted_ != wanted ||
             (n == 0 && !queue_.empty());
    };
    mu_.AwaitWithDeadline(absl::Condition(&changed), linger_end);
  }
  const size_t take = std::min(options_.max_batch_events, queue_.size());
  std::vector<TraceEvent> batch;
  batch.reserve(take);
  for (size_t i = 0; i < take; ++i) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return batch;
}

void BatchingClient::Run() {
  while (true) {
    std::vector<TraceEvent> batch = NextBatch();
    if (batch.empty()) return;
    Deliver(std::move(batch));
  }
}

bool BatchingClient::Abandoned() const {
  absl::MutexLock lock(&mu_);
  return absl::Now() >= abandon_at_;
}

void BatchingClient::Deliver(std::vector<TraceEvent> pending) {
  absl::Duration backoff = options_.initial_backoff;
  while (!pending.empty()) {
    if (Abandoned()) {
      Resolve(0, 0, 0, pending.size());
      return;
    }
    IngestRequest request;
    request.set_default_workspace(options_.default_workspace);
    request.set_batch_id(++batch_id_);
    request.mutable_events()->Reserve(static_cast<int>(pending.size()));
    for (TraceEvent& ev : pending) *request.add_events() = std::move(ev);
    absl::Duration timeout = options_.client.timeout;
    {
      absl::MutexLock lock(&mu_);
      timeout = std::max(absl::Milliseconds(50), std::min(timeout, abandon_at_ - absl::Now()));
    }
    absl::StatusOr<IngestResponse> response = client_->Send(request, timeout);
    for (size_t i = 0; i < pending.size(); ++i) {  // take the events back for a resend
      pending[i] = std::move(*request.mutable_events(static_cast<int>(i)));
    }
    if (!response.ok()) {
      const absl::Status& st = response.status();
      if (RetryableCall(st.code())) {
        WarnOnce("down", absl::StrCat("gateway ", options_.client.endpoint, " unavailable (",
                                      st.ToString(), "); events are kept and retried quietly"));
        {
          absl::MutexLock lock(&mu_);
          counts_.retried += pending.size();
        }
        Backoff(backoff);
        backoff = std::min(options_.max_backoff, backoff * 2);
        continue;
      }
      WarnOnce(absl::StrCat("refused:", static_cast<int>(st.code())),
               absl::StrCat("gateway ", options_.client.endpoint, " refused the events (",
                            st.ToString(), "); check the API key and workspace"));
      Resolve(0, 0, 0, pending.size());
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      if (warned_.erase("down") > 0) {
        options_.log(absl::StrCat("gateway ", options_.client.endpoint, " reachable again"));
      }
    }
    absl::Duration wait = Account(pending, *response);
    if (!pending.empty()) {
      {
        absl::MutexLock lock(&mu_);
        counts_.retried += pending.size();
      }
      Backoff(std::max(wait, backoff));
      backoff = std::min(options_.max_backoff, backoff * 2);
    }
  }
}

absl::Duration BatchingClient::Account(std::vector<TraceEvent>& pending,
                                       const IngestResponse& response) {
  const bool ordered = response.results_size() == static_cast<int>(pending.size());
  std::vector<TraceEvent> retry;
  absl::Duration wait = absl::ZeroDuration();
  uint64_t sent = 0, duplicate = 0, rejected = 0;
  for (size_t i = 0; i < pending.size(); ++i) {
    const EventResult* r = nullptr;
    if (ordered && response.results(static_cast<int>(i)).event_id() == pending[i].event_id()) {
      r = &response.results(static_cast<int>(i));
    } else {
      for (const EventResult& candidate : response.results()) {
        if (candidate.event_id() == pending[i].event_id()) r = &candidate;
      }
    }
    if (r == nullptr) {
      retry.push_back(std::move(pending[i]));
      continue;
    }
    if (r->status() == tracegate::v1::EVENT_STATUS_ACCEPTED ||
        r->status() == tracegate::v1::EVENT_STATUS_DUPLICATE) {
      ++sent;
      if (r->status() == tracegate::v1::EVENT_STATUS_DUPLICATE) ++duplicate;
    } else if (RetryableEvent(r->code())) {
      wait = std::max(wait, absl::Seconds(r->retry_after().seconds()) +
                                absl::Nanoseconds(r->retry_after().nanos()));
      retry.push_back(std::move(pending[i]));
    } else {
      ++rejected;
      const std::string key = absl::StrCat("reject:", r->code(), ":", r->reason());
      bool log = false;
      {
        absl::MutexLock lock(&mu_);
        if (warned_.size() < kMaxLoggedReasons && warned_.insert(key).second) log = true;
      }
      if (log) {
        options_.log(absl::StrCat("event ", r->event_id(), " rejected (code ", r->code(),
                                  "): ", r->reason()));
      }
    }
  }
  Resolve(sent, duplicate, rejected, 0);
  pending = std::move(retry);
  return wait;
}

void BatchingClient::Resolve(uint64_t sent, uint64_t duplicate, uint64_t rejected,
                             uint64_t dropped) {
  absl::MutexLock lock(&mu_);
  counts_.sent += sent;
  counts_.duplicate += duplicate;
  counts_.rejected += rejected;
  counts_.dropped += dropped;
  resolved_ += sent + rejected + dropped;
}

void BatchingClient::Backoff(absl::Duration d) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  const double jitter = 0.8 + 0.4 * std::uniform_real_distribution<double>(0, 1)(rng);
  absl::MutexLock lock(&mu_);
  const absl::Time until = std::min(absl::Now() + d * jitter, abandon_at_);
  // Wakes early only when Shutdown moves the deadline closer.
  const absl::Time seen = abandon_at_;
  auto moved = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return abandon_at_ != seen; };
  mu_.AwaitWithDeadline(absl::Condition(&moved), until);
}

void BatchingClient::WarnOnce(const std::string& key, absl::string_view message) {
  {
    absl::MutexLock lock(&mu_);
    if (!warned_.insert(key).second) return;
  }
  options_.log(message);
}

}  // namespace tracegate::client
