// One synchronous hiredis connection: connect (with AUTH and SELECT), send a command or a
// pipeline, run a Lua script.
//
// - A connection is used by one thread at a time (hiredis contexts are not thread-safe);
//   Client hands each caller a connection of its own.
// - Every call waits at most `command_timeout` (+ `extra_wait` for blocking commands such as
//   XREADGROUP BLOCK). A timeout or an I/O error makes the connection broken(): the call
//   returns UNAVAILABLE and the owner must discard the connection.
// - Error replies become statuses: LOADING/BUSY/READONLY/MASTERDOWN/OOM/TRYAGAIN/CLUSTERDOWN/
//   MOVED/ASK → UNAVAILABLE (Redis cannot take the write now), NOGROUP → FAILED_PRECONDITION,
//   anything else → INTERNAL. Messages carry Redis's text, never the password.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gateway/redis/command.h"
#include "gateway/redis/redis_url.h"

namespace tracegate::redis {

struct ConnectionOptions {
  RedisEndpoint endpoint;
  absl::Duration connect_timeout = absl::Seconds(1);
  absl::Duration command_timeout = absl::Seconds(2);
};

class Connection {
 public:
  // UNAVAILABLE when Redis cannot be reached or refuses AUTH/SELECT.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  absl::StatusOr<ReplyPtr> Command(const Args& args,
                                   absl::Duration extra_wait = absl::ZeroDuration());
  // Sends every command, then reads every reply: one round trip. The first error (I/O or
  // error reply) is returned; on an error reply the others were still read.
  absl::StatusOr<std::vector<ReplyPtr>> Pipeline(absl::Span<const Args* const> commands);
  // EVALSHA script numkeys keys_then_args...; loads the script on NOSCRIPT and retries once.
  absl::StatusOr<ReplyPtr> Eval(Script& script, int numkeys, const Args& keys_then_args);
  // MULTI, `prelude` commands, EVALSHA script ..., EXEC: atomically and in one round trip
  // (e.g. a plain SET of a large value that the script then commits or deletes, so the value
  // never passes through Lua). Returns EXEC's array reply, the script's reply last; an
  // error reply of any command becomes the returned status. On NOSCRIPT the script is
  // loaded and the whole transaction sent again (the prelude must be idempotent).
  absl::StatusOr<ReplyPtr> EvalAtomically(Script& script, absl::Span<const Args* const> prelude,
                                          int numkeys, const Args& keys_then_args);

  bool broken() const { return broken_; }

 private:
  Connection(redisContext* ctx, const ConnectionOptions& options) : ctx_(ctx), options_(options) {}
  absl::StatusOr<ReplyPtr> Send(int argc, const char** argv, const size_t* lens,
                                absl::Duration extra_wait);
  absl::Status IoError();
  void SetTimeout(absl::Duration d);
  // The script's SHA, loading the script when none is known yet.
  absl::Status EnsureLoaded(Script& script, std::string* sha);
  static Args EvalShaArgs(const std::string& sha, int numkeys, const Args& keys_then_args);

  redisContext* ctx_;
  const ConnectionOptions options_;
  absl::Duration timeout_set_ = absl::ZeroDuration();
  bool broken_ = false;
};

// Maps an error reply's text ("NOGROUP No such key ...") to a status (see the contract).
absl::Status ErrorReplyStatus(absl::string_view text);

}  // namespace tracegate::redis
