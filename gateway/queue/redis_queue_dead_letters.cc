// RedisQueue: dead letters (add, list, replay) and stats.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/queue/redis_queue.h"
#include "gateway/queue/redis_queue_scripts.h"
#include "gateway/redis/entry_codec.h"

namespace tracegate::queue {
namespace {

using redis::Args;
using redis::ReplyAt;
using redis::ReplyInteger;
using redis::ReplySize;
using redis::ReplyString;

absl::Time MillisField(absl::string_view text) {
  int64_t ms = 0;
  return absl::SimpleAtoi(text, &ms) ? absl::FromUnixMillis(ms) : absl::UnixEpoch();
}

}  // namespace

absl::Status RedisQueue::AddDeadLetter(const core::DeadLetter& letter) {
  std::string record;
  redis::AppendEventRecord(letter.event, &record);
  Args args;
  args.AddOwned(options_.keys.DeadLetters(letter.route))
      .AddOwned(options_.keys.DeadTotal(letter.route));
  args.Add(static_cast<int64_t>(options_.max_dead_letters_per_route));
  args.Add("e").Add(record);
  args.Add("why").Add(letter.reason);
  args.Add("at").Add(absl::ToUnixMillis(letter.at));
  return client_.Eval(scripts::AddDeadLetter(), 2, args).status();
}

absl::StatusOr<std::vector<core::DeadLetter>> RedisQueue::ListDeadLetters(absl::string_view route,
                                                                          size_t max) {
  std::vector<core::DeadLetter> out;
  if (max == 0) return out;
  Args args{"XREVRANGE"};
  args.AddOwned(options_.keys.DeadLetters(route)).Add("+").Add("-").Add("COUNT");
  args.Add(static_cast<int64_t>(max));
  absl::StatusOr<redis::ReplyPtr> r = client_.Command(args);
  if (!r.ok()) return r.status();
  for (size_t i = 0; i < ReplySize(r->get()); ++i) {
    const redisReply* fields = ReplyAt(ReplyAt(r->get(), i), 1);
    core::DeadLetter letter;
    letter.route = std::string(route);
    for (size_t j = 0; j + 1 < ReplySize(fields); j += 2) {
      const absl::string_view name = ReplyString(ReplyAt(fields, j));
      const absl::string_view value = ReplyString(ReplyAt(fields, j + 1));
      if (name == "e") {
        tracegate::v1::IngestRequest one;
        if (redis::ParseRecords(value, &one) && one.events_size() == 1) {
          letter.event = std::move(*one.mutable_events(0));
        }
      } else if (name == "why") {
        letter.reason = std::string(value);
      } else if (name == "at") {
        letter.at = MillisField(value);
      }
    }
    out.push_back(std::move(letter));
  }
  return out;
}

absl::StatusOr<int64_t> RedisQueue::ReplayDeadLetters(absl::string_view route, size_t max) {
  if (closed_.load()) return absl::UnavailableError("queue is closed (shutting down)");
  if (max == 0) return 0;
  Args args;
  args.AddOwned(options_.keys.DeadLetters(route))
      .AddOwned(options_.keys.Stream(route))
      .AddOwned(options_.keys.Events(route))
      .AddOwned(options_.keys.Payload(
          route, absl::StrCat("replay-", absl::ToUnixNanos(absl::Now()), "-", options_.consumer)));
  args.Add(static_cast<int64_t>(max)).Add(options_.max_events_per_route);
  absl::StatusOr<redis::ReplyPtr> r = client_.Eval(scripts::Replay(), 4, args);
  if (!r.ok()) return r.status();
  const int64_t replayed = ReplyInteger(ReplyAt(r->get(), 0));
  if (replayed < 0) {
    return absl::ResourceExhaustedError(absl::StrCat("route \"", route, "\" queue is full (",
                                                     ReplyString(ReplyAt(r->get(), 1)),
                                                     " events queued)"));
  }
  return replayed;
}

core::QueueStats RedisQueue::Stats(absl::string_view route) {
  Args args;
  args.AddOwned(options_.keys.Stream(route))
      .AddOwned(options_.keys.Events(route))
      .AddOwned(options_.keys.DeadTotal(route));
  args.Add(redis::kGroup);
  absl::StatusOr<redis::ReplyPtr> r = client_.Eval(scripts::Stats(), 3, args);
  absl::MutexLock lock(&mu_);
  RouteState& rs = StateLocked(route);
  if (!r.ok()) return rs.last_stats;  // Redis unreachable: the last known figures
  const redisReply* v = r->get();
  core::QueueStats s;
  s.events = ReplyInteger(ReplyAt(v, 0));
  s.entries = ReplyInteger(ReplyAt(v, 1));
  s.pending_entries = ReplyInteger(ReplyAt(v, 2));
  const absl::string_view oldest = ReplyString(ReplyAt(v, 3));
  s.oldest_age = absl::ZeroDuration();
  if (!oldest.empty()) {
    s.oldest_age =
        std::max(absl::ZeroDuration(),
                 options_.clock->Now() - MillisField(oldest.substr(0, oldest.find('-'))));
  }
  s.dead_letters = ReplyInteger(ReplyAt(v, 4));
  rs.last_stats = s;
  return s;
}

}  // namespace tracegate::queue
