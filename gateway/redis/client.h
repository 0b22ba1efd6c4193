// A Redis client for many threads: a pool of hiredis connections (one per concurrent
// caller, never shared), reconnects with exponential backoff, and a health flag for
// readiness.
//
//   auto client = Client::Create({.connection = {.endpoint = *ParseRedisUrl(url)}});
//   absl::StatusOr<ReplyPtr> r = (*client)->Command(Args{"PING"});
//   absl::StatusOr<Client::Lease> c = (*client)->Acquire();   // several calls, one connection
//
// Contract
// - Create() never needs Redis to be up: connections are made on first use.
// - Acquire() returns an idle connection or opens one. While Redis is unreachable it returns
//   UNAVAILABLE; after a failed connect it does not try again before the backoff has passed
//   (initial_backoff doubling up to max_backoff), so callers fail fast instead of piling up
//   on connect timeouts. Any successful connect resets the backoff.
// - A connection that saw an I/O error or a timeout is discarded when its Lease ends, and so
//   is every connection that was idle at that moment (Redis probably restarted).
// - healthy(): the last thing learned about Redis (connect, command, or the background PING
//   every `health_interval`) was good. last_error() says why not. Both are cheap.
// - Thread-safety: every method may be called from any thread. A Lease belongs to one
//   thread and must end before the Client is destroyed.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/redis/connection.h"

namespace tracegate::redis {

struct ClientOptions {
  ConnectionOptions connection;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
  // Background PING period (keeps healthy() current while idle); zero = no probe thread.
  absl::Duration health_interval = absl::Seconds(1);
  size_t max_idle_connections = 64;
};

class Client {
 public:
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : client_(other.client_), conn_(std::move(other.conn_)), generation_(other.generation_) {
      other.client_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection* operator->() const { return conn_.get(); }
    Connection& operator*() const { return *conn_; }

   private:
    friend class Client;
    Lease(Client* client, std::unique_ptr<Connection> conn, uint64_t generation)
        : client_(client), conn_(std::move(conn)), generation_(generation) {}
    Client* client_;
    std::unique_ptr<Connection> conn_;
    uint64_t generation_;
  };

  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  absl::StatusOr<Lease> Acquire();
  // Acquire + one call.
  absl::StatusOr<ReplyPtr> Command(const Args& args,
                                   absl::Duration extra_wait = absl::ZeroDuration());
  absl::StatusOr<ReplyPtr> Eval(Script& script, int numkeys, const Args& keys_then_args);
  absl::StatusOr<ReplyPtr> EvalAtomically(Script& script, absl::Span<const Args* const> prelude,
                                          int numkeys, const Args& keys_then_args);

  bool healthy() const { return healthy_.load(); }
  std::string last_error() const;
  const ClientOptions& options() const { return options_; }
  // Connections opened so far (tests, metrics).
  int64_t connects() const { return connects_.load(); }

 private:
  explicit Client(ClientOptions options) : options_(std::move(options)) {}
  void Return(std::unique_ptr<Connection> conn, uint64_t generation);
  void MarkDown(const absl::Status& why);
  void ProbeLoop();

  const ClientOptions options_;
  std::atomic<bool> healthy_{false};
  std::atomic<int64_t> connects_{0};

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration backoff_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::Time next_connect_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string last_error_ ABSL_GUARDED_BY(mu_) = "not connected yet";
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread probe_;
};

}  // namespace tracegate::redis
