// RedisQueue: producer and consumer side (Append, Read, Ack, Release, heartbeat). Dead
// letters and stats are in redis_queue_dead_letters.cc; the Lua in redis_queue_scripts.h.
#include "gateway/queue/redis_queue.h"

#include <unistd.h>

#include <algorithm>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gateway/observability/log.h"
#include "gateway/queue/redis_queue_scripts.h"
#include "gateway/redis/entry_codec.h"

namespace tracegate::queue {
namespace {

using redis::Args;
using redis::ReplyAt;
using redis::ReplyInteger;
using redis::ReplySize;
using redis::ReplyString;

// A released entry's idle time: far above any claim timeout, so every replica may take it.
constexpr int64_t kReleasedIdleMs = int64_t{10} * 24 * 3600 * 1000;
// How long a staged payload lives if its script never ran (see dedupe_script.cc).
constexpr int64_t kStagedPayloadTtlMs = 600'000;

std::string RandomToken() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return absl::StrFormat("%016x%016x", rng(), rng());
}

std::string DefaultConsumer() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::random_device rd;
  return absl::StrFormat("%s-%d-%08x", host[0] ? host : "tracegate", getpid(), rd());
}

absl::Time EntryTime(absl::string_view id) {
  int64_t ms = 0;
  if (!absl::SimpleAtoi(id.substr(0, id.find('-')), &ms)) return absl::UnixEpoch();
  return absl::FromUnixMillis(ms);
}

// A stream entry [id, [field, value, ...]]; false when it has no id.
bool ParseFields(const redisReply* e, std::string* id, int64_t* events, std::string* key,
                 std::string* skip) {
  *id = std::string(ReplyString(ReplyAt(e, 0)));
  const redisReply* fields = ReplyAt(e, 1);
  for (size_t i = 0; i + 1 < ReplySize(fields); i += 2) {
    const absl::string_view name = ReplyString(ReplyAt(fields, i));
    const absl::string_view value = ReplyString(ReplyAt(fields, i + 1));
    if (name == "n") {
      if (!absl::SimpleAtoi(value, events)) *events = -1;
    } else if (name == "k") {
      *key = std::string(value);
    } else if (name == "skip") {
      *skip = std::string(value);
    }
  }
  return !id->empty();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisQueue>> RedisQueue::Create(RedisQueueOptions options) {
  if (options.client == nullptr) return absl::InvalidArgumentError("RedisQueue: no client");
  if (options.clock == nullptr) return absl::InvalidArgumentError("RedisQueue: no clock");
  if (options.max_events_per_route <= 0 || options.max_dead_letters_per_route == 0) {
    return absl::InvalidArgumentError("RedisQueue: caps must be > 0");
  }
  if (options.claim_idle_timeout < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError("RedisQueue: claim_idle_timeout must be >= 100ms");
  }
  if (options.claim_interval <= absl::ZeroDuration()) {
    options.claim_interval = std::min(options.claim_idle_timeout / 4, absl::Seconds(5));
  }
  if (options.max_block < absl::Milliseconds(1)) options.max_block = absl::Milliseconds(1);
  if (options.consumer.empty()) options.consumer = DefaultConsumer();
  std::unique_ptr<RedisQueue> q(new RedisQueue(std::move(options)));
  RedisQueue* raw = q.get();
  q->heartbeat_ = std::thread([raw] { raw->HeartbeatLoop(); });
  return q;
}

RedisQueue::RedisQueue(RedisQueueOptions options)
    : options_(std::move(options)), client_(*options_.client) {}

RedisQueue::~RedisQueue() { Close(); }

RedisQueue::RouteState& RedisQueue::StateLocked(absl::string_view route) {
  auto& slot = routes_[route];
  if (slot == nullptr) slot = std::make_unique<RouteState>();
  return *slot;
}

absl::Status RedisQueue::Append(absl::string_view route, tracegate::v1::IngestRequest batch) {
  if (closed_.load()) return absl::UnavailableError("queue is closed (shutting down)");
  std::string payload;
  batch.SerializeToString(&payload);
  const std::string key = options_.keys.Payload(route, RandomToken());
  Args stage{"SET", key, payload, "PX"};
  stage.Add(kStagedPayloadTtlMs);
  const Args* prelude[] = {&stage};
  Args args;
  args.AddOwned(options_.keys.Stream(route)).AddOwned(options_.keys.Events(route)).Add(key);
  args.Add(options_.max_events_per_route).Add(int64_t{batch.events_size()});
  absl::StatusOr<redis::ReplyPtr> r = client_.EvalAtomically(scripts::Append(), prelude, 3, args);
  if (!r.ok()) return r.status();
  const redisReply* result = ReplyAt(r->get(), 1);
  if (ReplyInteger(ReplyAt(result, 0)) == 2) {
    return absl::ResourceExhaustedError(absl::StrCat("route \"", route, "\" queue is full (",
                                                     ReplyString(ReplyAt(result, 1)),
                                                     " events queued)"));
  }
  return absl::OkStatus();
}

absl::Status RedisQueue::EnsureGroup(absl::string_view route) {
  Args args{"XGROUP", "CREATE"};
  args.AddOwned(options_.keys.Stream(route)).Add(redis::kGroup).Add("0").Add("MKSTREAM");
  absl::StatusOr<redis::ReplyPtr> r = client_.Command(args);
  if (!r.ok() && !absl::StrContains(r.status().message(), "BUSYGROUP")) return r.status();
  return absl::OkStatus();
}

absl::Status RedisQueue::Materialize(absl::string_view route, const std::vector<RawEntry>& raw,
                                     std::vector<core::QueueEntry>* out) {
  if (raw.empty()) return absl::OkStatus();
  Args mget{"MGET"};
  for (const RawEntry& e : raw) {
    mget.Add(e.held.payload_key.empty() ? absl::string_view("-")
                                        : absl::string_view(e.held.payload_key));
  }
  // On failure the entries stay pending, unheld: claimable after claim_idle_timeout.
  absl::StatusOr<redis::ReplyPtr> payloads = client_.Command(mget);
  if (!payloads.ok()) return payloads.status();
  absl::MutexLock lock(&mu_);
  RouteState& rs = StateLocked(route);
  for (size_t i = 0; i < raw.size(); ++i) {
    core::QueueEntry entry;
    entry.id = raw[i].id;
    entry.delivery_count = raw[i].delivery_count;
    entry.enqueued_at = EntryTime(entry.id);
    const redisReply* bytes = ReplyAt(payloads->get(), i);
    if (bytes == nullptr || bytes->type != REDIS_REPLY_STRING ||
        !redis::ParsePayload(ReplyString(bytes), raw[i].skip, &entry.batch)) {
      entry.batch.Clear();
      log::Error("redis queue: entry without a readable payload; delivered as empty",
                 {{"route", route}, {"entry", entry.id}, {"payload", raw[i].held.payload_key}});
    }
    rs.held[entry.id] = raw[i].held;
    out->push_back(std::move(entry));
  }
  return absl::OkStatus();
}

absl::Status RedisQueue::ClaimIfDue(absl::string_view route, size_t max,
                                    std::vector<core::QueueEntry>* out) {
  std::string cursor;
  {
    absl::MutexLock lock(&mu_);
    RouteState& rs = StateLocked(route);
    const absl::Time now = absl::Now();
    if (now < rs.next_claim) return absl::OkStatus();
    rs.next_claim = now + options_.claim_interval;
    cursor = rs.claim_cursor;
  }
  const int64_t gc_idle_ms =
      std::max<int64_t>(600'000, 4 * absl::ToInt64Milliseconds(options_.claim_idle_timeout));
  Args args;
  args.AddOwned(options_.keys.Stream(route));
  args.Add(redis::kGroup).Add(options_.consumer);
  args.Add(absl::ToInt64Milliseconds(options_.claim_idle_timeout));
  args.Add(static_cast<int64_t>(max)).Add(cursor).Add(gc_idle_ms);
  absl::StatusOr<redis::ReplyPtr> r = client_.Eval(scripts::Claim(), 1, args);
  if (!r.ok() && r.status().code() == absl::StatusCode::kFailedPrecondition) {
    absl::Status created = EnsureGroup(route);
    if (!created.ok()) return created;
    r = client_.Eval(scripts::Claim(), 1, args);
  }
  if (!r.ok()) {
    absl::MutexLock lock(&mu_);
    StateLocked(route).next_claim = absl::InfinitePast();  // try again on the next read
    return r.status();
  }
  const redisReply* reply = r->get();
  std::vector<RawEntry> raw;
  for (size_t i = 1; i < ReplySize(reply); ++i) {
    const redisReply* item = ReplyAt(reply, i);
    RawEntry e;
    e.delivery_count = ReplyInteger(ReplyAt(item, 2));
    if (ParseFields(item, &e.id, &e.held.events, &e.held.payload_key, &e.skip)) {
      raw.push_back(std::move(e));
    }
  }
  {
    absl::MutexLock lock(&mu_);
    RouteState& rs = StateLocked(route);
    rs.claim_cursor = std::string(ReplyString(ReplyAt(reply, 0)));
    if (rs.claim_cursor.empty()) rs.claim_cursor = "0-0";
    // A full page may mean more idle entries: look again on the next read.
    if (raw.size() >= max || rs.claim_cursor != "0-0") rs.next_claim = absl::InfinitePast();
  }
  return Materialize(route, raw, out);
}

absl::Status RedisQueue::ReadNew(absl::string_view route, size_t max, absl::Duration wait,
                                 std::vector<core::QueueEntry>* out) {
  const std::string stream = options_.keys.Stream(route);
  const absl::Time deadline = absl::Now() + wait;
  bool group_checked = false;
  while (true) {
    absl::Duration block = std::min(deadline - absl::Now(), options_.max_block);
    Args args{"XREADGROUP", "GROUP"};
    args.Add(redis::kGroup).Add(options_.consumer).Add("COUNT").Add(static_cast<int64_t>(max));
    if (block >= absl::Milliseconds(1)) args.Add("BLOCK").Add(absl::ToInt64Milliseconds(block));
    args.Add("STREAMS").Add(stream).Add(">");
    absl::StatusOr<redis::ReplyPtr> r =
        client_.Command(args, std::max(block, absl::ZeroDuration()));
    if (!r.ok() && r.status().code() == absl::StatusCode::kFailedPrecondition && !group_checked) {
      group_checked = true;
      absl::Status created = EnsureGroup(route);
      if (!created.ok()) return created;
      continue;
    }
    if (!r.ok()) return r.status();
    // [[stream, [[id, fields], ...]]] or nil on timeout.
    const redisReply* entries = ReplyAt(ReplyAt(r->get(), 0), 1);
    std::vector<RawEntry> raw;
    for (size_t i = 0; i < ReplySize(entries); ++i) {
      RawEntry e;
      if (ParseFields(ReplyAt(entries, i), &e.id, &e.held.events, &e.held.payload_key, &e.skip)) {
        raw.push_back(std::move(e));
      }
    }
    absl::Status fetched = Materialize(route, raw, out);
    if (!fetched.ok()) return fetched;
    if (!out->empty() || closed_.load() || absl::Now() >= deadline) return absl::OkStatus();
  }
}

absl::StatusOr<std::vector<core::QueueEntry>> RedisQueue::Read(absl::string_view route,
                                                               size_t max_entries,
                                                               absl::Duration wait) {
  if (closed_.load()) return absl::CancelledError("queue is closed");
  std::vector<core::QueueEntry> out;
  if (max_entries == 0) return out;
  absl::Status claimed = ClaimIfDue(route, max_entries, &out);
  if (!claimed.ok() && out.empty()) return claimed;
  if (out.size() < max_entries) {
    absl::Status read =
        ReadNew(route, max_entries - out.size(), out.empty() ? wait : absl::ZeroDuration(), &out);
    if (!read.ok() && out.empty()) return read;
  }
  if (out.empty() && closed_.load()) return absl::CancelledError("queue is closed");
  return out;
}

absl::Status RedisQueue::RunAck(absl::string_view route, const std::vector<AckItem>& entries) {
  Args args;
  args.AddOwned(options_.keys.Stream(route)).AddOwned(options_.keys.Events(route));
  args.Add(redis::kGroup);
  for (const auto& [id, held] : entries) args.Add(id).Add(held.events).Add(held.payload_key);
  return client_.Eval(scripts::Ack(), 2, args).status();
}

absl::Status RedisQueue::Ack(absl::string_view route, absl::Span<const std::string> entry_ids) {
  if (entry_ids.empty()) return absl::OkStatus();
  std::vector<AckItem> entries;
  {
    absl::MutexLock lock(&mu_);
    RouteState& rs = StateLocked(route);
    for (const std::string& id : entry_ids) {
      auto it = rs.held.find(id);
      entries.emplace_back(id, it == rs.held.end() ? Held{} : it->second);
    }
  }
  absl::Status st = RunAck(route, entries);
  absl::MutexLock lock(&mu_);
  RouteState& rs = StateLocked(route);
  for (const std::string& id : entry_ids) rs.held.erase(id);
  if (st.ok()) return st;
  if (st.code() != absl::StatusCode::kUnavailable) return st;
  // Delivered but not acknowledged: keep owning the entries and retry in the background.
  rs.unacked.insert(rs.unacked.end(), entries.begin(), entries.end());
  std::string error(st.message());
  log::Warn("redis queue: ack deferred until Redis is back", {{"route", route}, {"error", error}});
  return absl::OkStatus();
}

absl::Status RedisQueue::Touch(absl::string_view route, const std::vector<std::string>& ids,
                               int64_t idle_ms) {
  if (ids.empty()) return absl::OkStatus();
  Args args;
  args.AddOwned(options_.keys.Stream(route));
  args.Add(redis::kGroup).Add(options_.consumer).Add(idle_ms);
  for (const std::string& id : ids) args.Add(id);
  return client_.Eval(scripts::Touch(), 1, args).status();
}

absl::Status RedisQueue::Release(absl::string_view route, absl::Span<const std::string> entry_ids) {
  std::vector<std::string> ids(entry_ids.begin(), entry_ids.end());
  absl::Status st = Touch(route, ids, kReleasedIdleMs);
  absl::MutexLock lock(&mu_);
  RouteState& rs = StateLocked(route);
  for (const std::string& id : ids) rs.held.erase(id);
  rs.next_claim = absl::InfinitePast();
  // On failure the entries simply stay pending: claimable after claim_idle_timeout.
  return st;
}

size_t RedisQueue::held(absl::string_view route) {
  absl::MutexLock lock(&mu_);
  return StateLocked(route).held.size();
}

size_t RedisQueue::deferred_acks(absl::string_view route) {
  absl::MutexLock lock(&mu_);
  return StateLocked(route).unacked.size();
}

void RedisQueue::HeartbeatNow() {
  struct Work {
    std::string route;
    std::vector<std::string> held;
    std::vector<AckItem> unacked;
  };
  std::vector<Work> work;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [route, rs] : routes_) {
      if (rs->held.empty() && rs->unacked.empty()) continue;
      Work w{route, {}, std::move(rs->unacked)};
      rs->unacked.clear();
      for (const auto& item : rs->held) w.held.push_back(item.first);
      work.push_back(std::move(w));
    }
  }
  for (Work& w : work) {
    if (!w.unacked.empty()) {
      absl::Status acked = RunAck(w.route, w.unacked);
      if (acked.ok()) {
        log::Info("redis queue: deferred acks done",
                  {{"route", w.route}, {"entries", absl::StrCat(w.unacked.size())}});
        w.unacked.clear();
      } else {
        for (const auto& item : w.unacked) w.held.push_back(item.first);
        absl::MutexLock lock(&mu_);
        auto& un = StateLocked(w.route).unacked;
        un.insert(un.end(), w.unacked.begin(), w.unacked.end());
      }
    }
    (void)Touch(w.route, w.held, 0);  // failure: Redis is down; nobody can claim them either
  }
}

void RedisQueue::HeartbeatLoop() {
  const absl::Duration every = std::max(absl::Milliseconds(50), options_.claim_idle_timeout / 4);
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      const absl::Time until = absl::Now() + every;
      while (!stop_heartbeat_ && absl::Now() < until) stop_cv_.WaitWithDeadline(&mu_, until);
      if (stop_heartbeat_) return;
    }
    HeartbeatNow();
  }
}

void RedisQueue::Close() {
  if (closed_.exchange(true)) return;
  {
    absl::MutexLock lock(&mu_);
    stop_heartbeat_ = true;
    stop_cv_.SignalAll();
  }
  if (heartbeat_.joinable()) heartbeat_.join();
  HeartbeatNow();  // last try for deferred acks
}

}  // namespace tracegate::queue
