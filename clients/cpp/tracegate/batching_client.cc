#include "tracegate/batching_client.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"

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

// gRPC's answer to a message over its size limit (on either side of the call).
bool TooLarge(const absl::Status& st) {
  return st.code() == absl::StatusCode::kResourceExhausted &&
         absl::StrContains(st.message(), "larger than max");
}

std::mt19937_64& Rng() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  return rng;
}

// A random (version 4) UUID.
std::string NewEventId() {
  uint64_t hi = Rng()(), lo = Rng()();
  hi = (hi & ~uint64_t{0xF000}) | uint64_t{0x4000};
  lo = (lo & ~(uint64_t{0xC0} << 56)) | (uint64_t{0x80} << 56);
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(hi >> 32),
                static_cast<unsigned long long>((hi >> 16) & 0xFFFF),
                static_cast<unsigned long long>(hi & 0xFFFF),
                static_cast<unsigned long long>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFF));
  return buf;
}

// `env` lower-cased if Langfuse accepts it as an environment name, else "".
std::string SanitizeEnvironment(absl::string_view env) {
  std::string e = absl::AsciiStrToLower(absl::StripAsciiWhitespace(env));
  if (e.empty() || e.size() > 40 || absl::StartsWith(e, "langfuse")) return "";
  for (char c : e) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_' && c != '-') return "";
  }
  return e;
}

// Length of the well-formed UTF-8 sequence at the start of `s`, 0 if there is none.
size_t Utf8Sequence(absl::string_view s) {
  const auto b = [&s](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i < s.size() && b(i) >= lo && b(i) <= hi;
  };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const bool second = c == 0xE0 ? cont(1, 0xA0) : c == 0xED ? cont(1, 0x80, 0x9F) : cont(1);
    return second && cont(2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const bool second = c == 0xF0 ? cont(1, 0x90) : c == 0xF4 ? cont(1, 0x80, 0x8F) : cont(1);
    return second && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

bool ValidUtf8(absl::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8Sequence(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// Each run of bytes that is not well-formed UTF-8 becomes one U+FFFD.
std::string ToValidUtf8(absl::string_view s) {
  std::string out;
  out.reserve(s.size() + 3);
  bool in_bad_run = false;
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8Sequence(s.substr(i));
    if (n == 0) {
      if (!in_bad_run) out += "\xEF\xBF\xBD";
      in_bad_run = true;
      ++i;
      continue;
    }
    out.append(s.data() + i, n);
    in_bad_run = false;
    i += n;
  }
  return out;
}

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool WalkUtf8(Message& m, bool fix);

// A google.protobuf.Struct (metadata, JSON values) through its map: reflection would first
// copy the map into a repeated field.
bool WalkStruct(google::protobuf::Struct& st, bool fix) {
  auto& fields = *st.mutable_fields();
  bool bad = false;
  std::vector<std::string> bad_keys;
  for (auto& [key, value] : fields) {
    if (!ValidUtf8(key)) {
      if (!fix) return true;
      bad_keys.push_back(key);
    }
    if (WalkUtf8(value, fix)) {
      if (!fix) return true;
      bad = true;
    }
  }
  for (const std::string& key : bad_keys) {
    google::protobuf::Value value = std::move(fields[key]);
    fields.erase(key);
    fields[ToValidUtf8(key)] = std::move(value);
  }
  return bad || !bad_keys.empty();
}

// Visits the string fields of `m` and of every message inside it (map entries included).
// `fix` false: reports whether one is invalid UTF-8. `fix` true: repairs them all.
bool WalkUtf8(Message& m, bool fix) {
  if (auto* st = dynamic_cast<google::protobuf::Struct*>(&m)) return WalkStruct(*st, fix);
  const Reflection* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  bool bad = false;
  std::string scratch;
  for (const FieldDescriptor* f : fields) {
    if (f->type() == FieldDescriptor::TYPE_STRING) {
      const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
      for (int i = 0; i < n; ++i) {
        const std::string& v = f->is_repeated() ? r->GetRepeatedStringReference(m, f, i, &scratch)
                                                : r->GetStringReference(m, f, &scratch);
        if (ValidUtf8(v)) continue;
        if (!fix) return true;
        bad = true;
        std::string repaired = ToValidUtf8(v);
        if (f->is_repeated()) {
          r->SetRepeatedString(&m, f, i, std::move(repaired));
        } else {
          r->SetString(&m, f, std::move(repaired));
        }
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          Message* sub = fix ? r->MutableRepeatedMessage(&m, f, i)
                             : const_cast<Message*>(&r->GetRepeatedMessage(m, f, i));
          if (WalkUtf8(*sub, fix) && !fix) return true;
        }
      } else {
        Message* sub = fix ? r->MutableMessage(&m, f) : const_cast<Message*>(&r->GetMessage(m, f));
        if (WalkUtf8(*sub, fix) && !fix) return true;
      }
    }
  }
  return bad;
}

size_t VarintSize(size_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
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
  o.client.app_id = Env("TRACEGATE_APP_ID");
  o.default_workspace = Env("TRACEGATE_WORKSPACE", "default");
  o.environment = Env("APP_ENV");
  return o;
}

absl::StatusOr<std::unique_ptr<BatchingClient>> BatchingClient::Create(
    BatchingClientOptions options) {
  if (!options.log) {
    options.log = [](absl::string_view line) { std::cerr << "tracegate: " << line << "\n"; };
  }
  options.max_queue_events = std::max<size_t>(1, options.max_queue_events);
  options.max_batch_events = std::max<size_t>(1, options.max_batch_events);
  options.max_batch_bytes = std::max<size_t>(1, options.max_batch_bytes);
  options.environment = SanitizeEnvironment(options.environment);
  if (std::string problem = AppIdProblem(options.client.app_id); !problem.empty()) {
    options.log(absl::StrCat("app_id (TRACEGATE_APP_ID) ", problem, "; it is not sent"));
    options.client.app_id.clear();
  }
  std::unique_ptr<Client> client;
  if (!options.client.api_key.empty()) {
    auto created = Client::Create(options.client);
    if (!created.ok()) return created.status();
    client = *std::move(created);
  }
  return std::unique_ptr<BatchingClient>(new BatchingClient(std::move(options), std::move(client)));
}

BatchingClient::BatchingClient(BatchingClientOptions options, std::unique_ptr<Client> client)
    : options_(std::move(options)),
      client_(std::move(client)),
      batch_bytes_(options_.max_batch_bytes) {
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

void BatchingClient::Prepare(std::vector<TraceEvent>& batch) const {
  for (TraceEvent& ev : batch) {
    if (ev.event_id().empty()) ev.set_event_id(NewEventId());
    const std::string& env = options_.environment;
    if (!env.empty()) {
      if (ev.has_trace() && ev.trace().environment().empty()) {
        ev.mutable_trace()->set_environment(env);
      } else if (ev.has_observation() && ev.observation().environment().empty()) {
        ev.mutable_observation()->set_environment(env);
      } else if (ev.has_score() && ev.score().environment().empty()) {
        ev.mutable_score()->set_environment(env);
      }
    }
    if (WalkUtf8(ev, /*fix=*/false)) WalkUtf8(ev, /*fix=*/true);
  }
}

void BatchingClient::Deliver(std::vector<TraceEvent> pending) {
  Prepare(pending);
  absl::Duration backoff = options_.initial_backoff;
  while (!pending.empty()) {
    if (Abandoned()) {
      Resolve(0, 0, 0, pending.size());
      return;
    }
    IngestRequest request;
    request.set_default_workspace(options_.default_workspace);
    request.set_batch_id(++batch_id_);
    request.set_app_id(options_.client.app_id);
    // The first events that fit in batch_bytes_ (at least one) make this request.
    size_t bytes = request.ByteSizeLong();
    size_t n = 0;
    for (; n < pending.size(); ++n) {
      const size_t event_bytes = pending[n].ByteSizeLong();
      const size_t field_bytes = 1 + VarintSize(event_bytes) + event_bytes;
      if (n > 0 && bytes + field_bytes > batch_bytes_) break;
      bytes += field_bytes;
    }
    request.mutable_events()->Reserve(static_cast<int>(n));
    for (size_t i = 0; i < n; ++i) *request.add_events() = std::move(pending[i]);
    absl::Duration timeout = options_.client.timeout;
    {
      absl::MutexLock lock(&mu_);
      timeout = std::max(absl::Milliseconds(50), std::min(timeout, abandon_at_ - absl::Now()));
    }
    absl::StatusOr<IngestResponse> response = client_->Send(request, timeout);
    std::vector<TraceEvent> part(n);
    for (size_t i = 0; i < n; ++i) {  // take the events back for a resend
      part[i] = std::move(*request.mutable_events(static_cast<int>(i)));
    }
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
    // Puts what is still to be sent of this request back in front of the rest.
    auto requeue = [&pending](std::vector<TraceEvent>& events) {
      pending.insert(pending.begin(), std::make_move_iterator(events.begin()),
                     std::make_move_iterator(events.end()));
    };
    if (!response.ok()) {
      const absl::Status& st = response.status();
      if (TooLarge(st)) {
        // The same bytes would be refused forever: send less at a time; an event too
        // large on its own is dropped.
        if (n > 1) {
          batch_bytes_ = std::max<size_t>(1, bytes / 2);
          requeue(part);
          continue;
        }
        WarnOnce("too-large", absl::StrCat("event ", part[0].event_id(), " (", bytes,
                                           " bytes) is larger than the gateway accepts (",
                                           st.ToString(), "); dropped"));
        Resolve(0, 0, 0, 1);
        continue;
      }
      if (RetryableCall(st.code())) {
        WarnOnce("down", absl::StrCat("gateway ", options_.client.endpoint, " unavailable (",
                                      st.ToString(), "); events are kept and retried quietly"));
        {
          absl::MutexLock lock(&mu_);
          counts_.retried += part.size();
        }
        requeue(part);
        Backoff(backoff);
        backoff = std::min(options_.max_backoff, backoff * 2);
        continue;
      }
      WarnOnce(absl::StrCat("refused:", static_cast<int>(st.code())),
               absl::StrCat("gateway ", options_.client.endpoint, " refused the events (",
                            st.ToString(), "); check the API key and workspace"));
      Resolve(0, 0, 0, part.size());
      continue;
    }
    {
      absl::MutexLock lock(&mu_);
      if (warned_.erase("down") > 0) {
        options_.log(absl::StrCat("gateway ", options_.client.endpoint, " reachable again"));
      }
    }
    absl::Duration wait = Account(part, *response);
    if (!part.empty()) {
      {
        absl::MutexLock lock(&mu_);
        counts_.retried += part.size();
      }
      requeue(part);
      Backoff(std::max(wait, backoff));
      backoff = std::min(options_.max_backoff, backoff * 2);
    } else {
      backoff = options_.initial_backoff;
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
