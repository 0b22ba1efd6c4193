// The small value types shared by the Redis code: a command's arguments (Args), an owned
// reply (ReplyPtr) with readers, and a Lua script whose SHA is learned on first use (Script).
//
//   Args a{"XADD", stream_key, "*"};
//   a.Add("n").Add(int64_t{42}).Add(payload_view);   // views must outlive the call
//
// Thread-safety: Args and ReplyPtr belong to one thread; Script is thread-safe.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace tracegate::redis {

class Args {
 public:
  Args() = default;
  Args(std::initializer_list<absl::string_view> parts) {
    for (absl::string_view p : parts) Add(p);
  }
  Args(const Args&) = delete;
  Args& operator=(const Args&) = delete;
  Args(Args&&) = default;
  Args& operator=(Args&&) = default;

  // Borrows `s`: it must stay alive until the command was sent.
  Args& Add(absl::string_view s) {
    argv_.push_back(s.data());
    len_.push_back(s.size());
    return *this;
  }
  Args& Add(const char* s) { return Add(absl::string_view(s)); }
  Args& Add(const std::string& s) { return Add(absl::string_view(s)); }
  // A temporary would dangle: use AddOwned().
  Args& Add(std::string&& s) = delete;
  Args& AddOwned(std::string s) {
    owned_.push_back(std::move(s));
    return Add(owned_.back());
  }
  Args& Add(int64_t n) { return AddOwned(std::to_string(n)); }

  size_t size() const { return argv_.size(); }
  const char* const* argv() const { return argv_.data(); }
  const size_t* lengths() const { return len_.data(); }

 private:
  std::vector<const char*> argv_;
  std::vector<size_t> len_;
  std::deque<std::string> owned_;  // stable addresses
};

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Readers that tolerate the wrong type (they return empty/0/nullptr).
inline absl::string_view ReplyString(const redisReply* r) {
  if (r == nullptr || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS &&
                       r->type != REDIS_REPLY_ERROR)) {
    return {};
  }
  return absl::string_view(r->str, r->len);
}
inline int64_t ReplyInteger(const redisReply* r) {
  return r != nullptr && r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
}
inline size_t ReplySize(const redisReply* r) {
  return r != nullptr && r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
}
inline const redisReply* ReplyAt(const redisReply* r, size_t i) {
  return i < ReplySize(r) ? r->element[i] : nullptr;
}

// A Lua script run with EVALSHA; the SHA comes from SCRIPT LOAD the first time (and again
// after NOSCRIPT, e.g. when Redis restarted without the script cache).
class Script {
 public:
  explicit Script(std::string source) : source_(std::move(source)) {}
  const std::string& source() const { return source_; }
  std::string sha() const {
    absl::MutexLock lock(&mu_);
    return sha_;
  }
  void set_sha(std::string sha) {
    absl::MutexLock lock(&mu_);
    sha_ = std::move(sha);
  }

 private:
  const std::string source_;
  mutable absl::Mutex mu_;
  std::string sha_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tracegate::redis
