#include "gateway/redis/connection.h"

#include <sys/time.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/core/status_macros.h"

namespace tracegate::redis {
namespace {

timeval TimeoutTimeval(absl::Duration d) {
  if (d < absl::Milliseconds(1)) d = absl::Milliseconds(1);
  return absl::ToTimeval(d);
}

}  // namespace

absl::Status ErrorReplyStatus(absl::string_view text) {
  const std::string msg = absl::StrCat("redis: ", text);
  for (const char* prefix : {"LOADING", "BUSY", "READONLY", "MASTERDOWN", "OOM", "TRYAGAIN",
                             "CLUSTERDOWN", "MOVED", "ASK", "NOREPLICAS"}) {
    if (absl::StartsWith(text, prefix)) return absl::UnavailableError(msg);
  }
  if (absl::StartsWith(text, "NOGROUP")) return absl::FailedPreconditionError(msg);
  if (absl::StartsWith(text, "NOAUTH") || absl::StartsWith(text, "WRONGPASS")) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const ConnectionOptions& options) {
  const RedisEndpoint& ep = options.endpoint;
  redisContext* ctx =
      redisConnectWithTimeout(ep.host.c_str(), ep.port, TimeoutTimeval(options.connect_timeout));
  if (ctx == nullptr) return absl::UnavailableError("redis: cannot allocate a context");
  if (ctx->err != 0) {
    absl::Status st = absl::UnavailableError(
        absl::StrCat("redis: cannot connect to ", ep.host, ":", ep.port, ": ", ctx->errstr));
    redisFree(ctx);
    return st;
  }
  redisEnableKeepAlive(ctx);
  std::unique_ptr<Connection> conn(new Connection(ctx, options));
  conn->SetTimeout(options.command_timeout);
  if (!ep.password.empty()) {
    Args auth{"AUTH"};
    if (!ep.username.empty()) auth.Add(ep.username);
    auth.Add(ep.password);
    absl::StatusOr<ReplyPtr> r = conn->Command(auth);
    if (!r.ok()) {
      return absl::UnavailableError(absl::StrCat("redis: AUTH refused: ", r.status().message()));
    }
  }
  if (ep.db != 0) {
    Args select{"SELECT"};
    select.Add(int64_t{ep.db});
    absl::StatusOr<ReplyPtr> r = conn->Command(select);
    if (!r.ok()) {
      return absl::UnavailableError(
          absl::StrCat("redis: SELECT ", ep.db, " failed: ", r.status().message()));
    }
  }
  return conn;
}

Connection::~Connection() { redisFree(ctx_); }

void Connection::SetTimeout(absl::Duration d) {
  if (d == timeout_set_) return;
  const timeval tv = TimeoutTimeval(d);
  redisSetTimeout(ctx_, tv);
  timeout_set_ = d;
}

absl::Status Connection::IoError() {
  broken_ = true;
  const char* what = ctx_->errstr[0] != '\0' ? ctx_->errstr : "connection lost";
  return absl::UnavailableError(absl::StrCat("redis: ", what));
}

absl::StatusOr<ReplyPtr> Connection::Send(int argc, const char** argv, const size_t* lens,
                                          absl::Duration extra_wait) {
  if (broken_) return absl::UnavailableError("redis: connection is broken");
  SetTimeout(options_.command_timeout + extra_wait);
  void* raw = redisCommandArgv(ctx_, argc, argv, lens);
  if (raw == nullptr) return IoError();
  ReplyPtr reply(static_cast<redisReply*>(raw));
  if (reply->type == REDIS_REPLY_ERROR) return ErrorReplyStatus(ReplyString(reply.get()));
  return reply;
}

absl::StatusOr<ReplyPtr> Connection::Command(const Args& args, absl::Duration extra_wait) {
  return Send(static_cast<int>(args.size()), const_cast<const char**>(args.argv()), args.lengths(),
              extra_wait);
}

absl::StatusOr<std::vector<ReplyPtr>> Connection::Pipeline(absl::Span<const Args* const> commands) {
  if (broken_) return absl::UnavailableError("redis: connection is broken");
  SetTimeout(options_.command_timeout);
  for (const Args* a : commands) {
    if (redisAppendCommandArgv(ctx_, static_cast<int>(a->size()),
                               const_cast<const char**>(a->argv()), a->lengths()) != REDIS_OK) {
      return IoError();
    }
  }
  std::vector<ReplyPtr> replies;
  absl::Status first_error;
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) return IoError();
    ReplyPtr reply(static_cast<redisReply*>(raw));
    if (reply->type == REDIS_REPLY_ERROR && first_error.ok()) {
      first_error = ErrorReplyStatus(ReplyString(reply.get()));
    }
    replies.push_back(std::move(reply));
  }
  if (!first_error.ok()) return first_error;
  return replies;
}

absl::Status Connection::EnsureLoaded(Script& script, std::string* sha) {
  *sha = script.sha();
  if (!sha->empty()) return absl::OkStatus();
  Args load{"SCRIPT", "LOAD", script.source()};
  absl::StatusOr<ReplyPtr> loaded = Command(load);
  if (!loaded.ok()) return loaded.status();
  *sha = std::string(ReplyString(loaded->get()));
  script.set_sha(*sha);
  return absl::OkStatus();
}

Args Connection::EvalShaArgs(const std::string& sha, int numkeys, const Args& keys_then_args) {
  Args args{"EVALSHA", sha};
  args.Add(int64_t{numkeys});
  for (size_t i = 0; i < keys_then_args.size(); ++i) {
    args.Add(absl::string_view(keys_then_args.argv()[i], keys_then_args.lengths()[i]));
  }
  return args;
}

absl::StatusOr<ReplyPtr> Connection::Eval(Script& script, int numkeys, const Args& keys_then_args) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string sha;
    TG_RETURN_IF_ERROR(EnsureLoaded(script, &sha));
    absl::StatusOr<ReplyPtr> reply = Command(EvalShaArgs(sha, numkeys, keys_then_args));
    if (reply.ok() || !absl::StrContains(reply.status().message(), "NOSCRIPT")) return reply;
    script.set_sha("");  // Redis lost its script cache (restart, SCRIPT FLUSH): load again
  }
  return absl::InternalError("redis: script could not be loaded");
}

absl::StatusOr<ReplyPtr> Connection::EvalAtomically(Script& script,
                                                    absl::Span<const Args* const> prelude,
                                                    int numkeys, const Args& keys_then_args) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string sha;
    TG_RETURN_IF_ERROR(EnsureLoaded(script, &sha));
    const Args multi{"MULTI"};
    const Args exec{"EXEC"};
    const Args eval = EvalShaArgs(sha, numkeys, keys_then_args);
    std::vector<const Args*> commands = {&multi};
    commands.insert(commands.end(), prelude.begin(), prelude.end());
    commands.push_back(&eval);
    commands.push_back(&exec);
    absl::StatusOr<std::vector<ReplyPtr>> replies = Pipeline(commands);
    if (!replies.ok()) return replies.status();
    ReplyPtr result = std::move(replies->back());
    if (ReplySize(result.get()) != prelude.size() + 1) {
      return absl::InternalError("redis: the transaction was not executed");
    }
    absl::Status first_error;
    for (size_t i = 0; i < ReplySize(result.get()) && first_error.ok(); ++i) {
      const redisReply* r = ReplyAt(result.get(), i);
      if (r->type == REDIS_REPLY_ERROR) first_error = ErrorReplyStatus(ReplyString(r));
    }
    if (first_error.ok()) return result;
    if (!absl::StrContains(first_error.message(), "NOSCRIPT")) return first_error;
    script.set_sha("");
  }
  return absl::InternalError("redis: script could not be loaded");
}

}  // namespace tracegate::redis
