#include "gateway/redis/client.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tracegate::redis {

Client::Lease::~Lease() {
  if (client_ != nullptr && conn_ != nullptr) client_->Return(std::move(conn_), generation_);
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  if (options.connection.endpoint.host.empty()) {
    return absl::InvalidArgumentError("redis: no host");
  }
  if (options.initial_backoff <= absl::ZeroDuration() ||
      options.max_backoff < options.initial_backoff) {
    return absl::InvalidArgumentError("redis: backoff must be > 0 and max >= initial");
  }
  std::unique_ptr<Client> client(new Client(std::move(options)));
  if (client->options_.health_interval > absl::ZeroDuration()) {
    Client* raw = client.get();
    client->probe_ = std::thread([raw] { raw->ProbeLoop(); });
  }
  return client;
}

Client::~Client() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (probe_.joinable()) probe_.join();
}

std::string Client::last_error() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

void Client::MarkDown(const absl::Status& why) {
  healthy_.store(false);
  absl::MutexLock lock(&mu_);
  last_error_ = std::string(why.message());
}

absl::StatusOr<Client::Lease> Client::Acquire() {
  uint64_t generation = 0;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError("redis: client is shutting down");
    generation = generation_;
    if (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn), generation);
    }
    const absl::Time now = absl::Now();
    if (now < next_connect_) {
      return absl::UnavailableError(
          absl::StrCat("redis unreachable (next reconnect in ",
                       absl::FormatDuration(absl::Ceil(next_connect_ - now, absl::Milliseconds(1))),
                       "): ", last_error_));
    }
  }
  absl::StatusOr<std::unique_ptr<Connection>> conn = Connection::Open(options_.connection);
  absl::MutexLock lock(&mu_);
  if (!conn.ok()) {
    backoff_ = backoff_ == absl::ZeroDuration() ? options_.initial_backoff
                                                : std::min(backoff_ * 2, options_.max_backoff);
    next_connect_ = absl::Now() + backoff_;
    last_error_ = std::string(conn.status().message());
    healthy_.store(false);
    return conn.status();
  }
  connects_.fetch_add(1);
  backoff_ = absl::ZeroDuration();
  next_connect_ = absl::InfinitePast();
  healthy_.store(true);
  return Lease(this, *std::move(conn), generation_);
}

void Client::Return(std::unique_ptr<Connection> conn, uint64_t generation) {
  absl::MutexLock lock(&mu_);
  if (conn->broken()) {
    // Redis went away or stalled: the idle connections are suspect too.
    ++generation_;
    idle_.clear();
    if (healthy_.exchange(false)) last_error_ = "connection lost (reconnecting)";
    return;
  }
  if (generation != generation_ || stopping_ || idle_.size() >= options_.max_idle_connections) {
    return;
  }
  healthy_.store(true);
  idle_.push_back(std::move(conn));
}

absl::StatusOr<ReplyPtr> Client::Command(const Args& args, absl::Duration extra_wait) {
  absl::StatusOr<Lease> lease = Acquire();
  if (!lease.ok()) return lease.status();
  absl::StatusOr<ReplyPtr> reply = (*lease)->Command(args, extra_wait);
  if (!reply.ok() && (*lease)->broken()) MarkDown(reply.status());
  return reply;
}

absl::StatusOr<ReplyPtr> Client::Eval(Script& script, int numkeys, const Args& keys_then_args) {
  absl::StatusOr<Lease> lease = Acquire();
  if (!lease.ok()) return lease.status();
  absl::StatusOr<ReplyPtr> reply = (*lease)->Eval(script, numkeys, keys_then_args);
  if (!reply.ok() && (*lease)->broken()) MarkDown(reply.status());
  return reply;
}

absl::StatusOr<ReplyPtr> Client::EvalAtomically(Script& script,
                                                absl::Span<const Args* const> prelude, int numkeys,
                                                const Args& keys_then_args) {
  absl::StatusOr<Lease> lease = Acquire();
  if (!lease.ok()) return lease.status();
  absl::StatusOr<ReplyPtr> reply =
      (*lease)->EvalAtomically(script, prelude, numkeys, keys_then_args);
  if (!reply.ok() && (*lease)->broken()) MarkDown(reply.status());
  return reply;
}

void Client::ProbeLoop() {
  auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.health_interval)) return;
    }
    absl::StatusOr<Lease> lease = Acquire();
    if (!lease.ok()) continue;  // Acquire recorded why
    absl::StatusOr<ReplyPtr> pong = (*lease)->Command(Args{"PING"});
    if (!pong.ok()) {
      MarkDown(pong.status());
    } else {
      healthy_.store(true);
    }
  }
}

}  // namespace tracegate::redis
