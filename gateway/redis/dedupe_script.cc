#include "gateway/redis/dedupe_script.h"

#include <algorithm>
#include <cstdlib>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tracegate::redis {
namespace {

// KEYS: 1 previous bucket, 2 current bucket, 3 next bucket, 4 stream, 5 events counter,
//       6 payload key (mode "a": SET just before, in the same transaction)
// ARGV: 1 mode ("d" dedupe, "a" dedupe + append, "f" forget), 2 read the next bucket
//       ("1"/"0"), 3 ttl ms of the current bucket, 4 cap, 5 n, 6..5+n ids
// Returns {0 recorded | 1 appended | 2 full, "1"/"0" per id, entry id | queued events}.
// The common batch (no id seen before, none repeated, room under the cap) takes the fast
// path: the lookups, one SADD, no per-id Lua work beyond reading the lookup replies.
constexpr char kSource[] = R"lua(
local mode, n = ARGV[1], tonumber(ARGV[5])
local first, last = 6, 5 + n
local function chunks(fn)
  for i = first, last, 1000 do fn(i, math.min(i + 999, last)) end
end
if mode == 'f' then
  for k = 1, 3 do chunks(function(i, j) redis.call('SREM', KEYS[k], unpack(ARGV, i, j)) end) end
  return {0, '', ''}
end
local hits = nil
local function lookup(key)
  chunks(function(i, j)
    local got = redis.call('SMISMEMBER', key, unpack(ARGV, i, j))
    for k = 1, j - i + 1 do
      if got[k] == 1 then
        hits = hits or {}
        hits[ARGV[i + k - 1]] = true
      end
    end
  end)
end
lookup(KEYS[1])
lookup(KEYS[2])
if ARGV[2] == '1' then lookup(KEYS[3]) end
local cap = tonumber(ARGV[4])
local queued = 0
if mode == 'a' then queued = tonumber(redis.call('GET', KEYS[5]) or '0') end
local flags, count
if hits == nil and (mode ~= 'a' or queued + n <= cap) then
  -- Fast path: SADD says whether ids repeat inside the batch.
  count = 0
  chunks(function(i, j) count = count + redis.call('SADD', KEYS[2], unpack(ARGV, i, j)) end)
  if count == n then
    flags = string.rep('1', n)
  else
    local seen, f = {}, {}
    for i = 1, n do
      local id = ARGV[first + i - 1]
      if seen[id] then f[i] = '0' else f[i] = '1'; seen[id] = true end
    end
    flags = table.concat(f)
  end
else
  local seen, f, fresh = hits or {}, {}, {}
  for i = 1, n do
    local id = ARGV[first + i - 1]
    if seen[id] then
      f[i] = '0'
    else
      f[i] = '1'
      seen[id] = true
      fresh[#fresh + 1] = id
    end
  end
  flags = table.concat(f)
  count = #fresh
  if mode == 'a' and count > 0 and queued + count > cap then
    redis.call('DEL', KEYS[6])
    return {2, flags, tostring(queued)}
  end
  for i = 1, count, 1000 do
    redis.call('SADD', KEYS[2], unpack(fresh, i, math.min(i + 999, count)))
  end
end
if count > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
if mode ~= 'a' then return {0, flags, ''} end
if count == 0 then
  redis.call('DEL', KEYS[6])
  return {0, flags, ''}
end
redis.call('PERSIST', KEYS[6])
local entry
if count < n then
  entry = redis.call('XADD', KEYS[4], '*', 'n', count, 'k', KEYS[6], 'skip', flags)
else
  entry = redis.call('XADD', KEYS[4], '*', 'n', count, 'k', KEYS[6])
end
redis.call('INCRBY', KEYS[5], count)
return {1, flags, entry}
)lua";

// How long a staged payload lives if its script never ran (a bug, or Redis lost the script
// mid-transaction): the script PERSISTs it on commit and deletes it otherwise.
constexpr int64_t kStagedPayloadTtlMs = 600'000;

std::string RandomToken() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return absl::StrFormat("%016x%016x", rng(), rng());
}

Script& DedupeScript() {
  static Script* script = new Script(kSource);
  return *script;
}

absl::StatusOr<ReplyPtr> Run(Client& client, const KeySpace& keys, const DedupeWindow& w,
                             const DedupeCall& call, const char* mode) {
  const int64_t now_ms = absl::ToUnixMillis(call.now);
  const int64_t window_ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(w.window));
  const int64_t skew_ms = absl::ToInt64Milliseconds(w.max_clock_skew);
  const int64_t bucket = now_ms / window_ms;
  const bool check_next = now_ms + skew_ms >= (bucket + 1) * window_ms;
  const int64_t ttl_ms = (bucket + 2) * window_ms - now_ms + skew_ms;
  const bool append = mode[0] == 'a';
  const std::string payload_key = append ? keys.Payload(call.route, RandomToken()) : "";
  Args args;
  args.AddOwned(keys.Dedupe(call.route, call.workspace, bucket - 1))
      .AddOwned(keys.Dedupe(call.route, call.workspace, bucket))
      .AddOwned(keys.Dedupe(call.route, call.workspace, bucket + 1))
      .AddOwned(keys.Stream(call.route))
      .AddOwned(keys.Events(call.route))
      .AddOwned(append ? payload_key : keys.Payload(call.route, "-"));
  args.Add(mode).Add(check_next ? "1" : "0").Add(ttl_ms);
  args.Add(call.cap).Add(static_cast<int64_t>(call.ids.size()));
  for (absl::string_view id : call.ids) args.Add(id);
  if (!append) return client.Eval(DedupeScript(), 6, args);
  Args stage{"SET", payload_key, call.payload, "PX"};
  stage.Add(kStagedPayloadTtlMs);
  const Args* prelude[] = {&stage};
  absl::StatusOr<ReplyPtr> exec = client.EvalAtomically(DedupeScript(), prelude, 6, args);
  if (!exec.ok()) return exec.status();
  // EXEC's array: [SET's +OK, the script's reply]. Move the script's reply out.
  redisReply* all = exec->get();
  ReplyPtr script_reply(all->element[1]);
  all->element[1] = nullptr;
  return script_reply;
}

}  // namespace

absl::StatusOr<DedupeResult> RunDedupe(Client& client, const KeySpace& keys,
                                       const DedupeWindow& window, const DedupeCall& call) {
  const bool append = call.append;
  DedupeResult result;
  if (call.ids.empty()) return result;
  absl::StatusOr<ReplyPtr> reply = Run(client, keys, window, call, append ? "a" : "d");
  if (!reply.ok()) return reply.status();
  const redisReply* r = reply->get();
  const absl::string_view flags = ReplyString(ReplyAt(r, 1));
  if (ReplySize(r) != 3 || flags.size() != call.ids.size()) {
    return absl::InternalError("dedupe: unexpected reply from the Redis script");
  }
  result.fresh.reserve(flags.size());
  for (char c : flags) result.fresh.push_back(c == '1');
  switch (ReplyInteger(ReplyAt(r, 0))) {
    case 1:
      result.outcome = DedupeResult::Outcome::kAppended;
      result.entry_id = std::string(ReplyString(ReplyAt(r, 2)));
      break;
    case 2:
      result.outcome = DedupeResult::Outcome::kFull;
      result.queued = std::strtoll(std::string(ReplyString(ReplyAt(r, 2))).c_str(), nullptr, 10);
      break;
    default:
      result.outcome = DedupeResult::Outcome::kRecorded;
  }
  return result;
}

absl::Status RunForget(Client& client, const KeySpace& keys, const DedupeWindow& window,
                       const DedupeCall& call) {
  if (call.ids.empty()) return absl::OkStatus();
  return Run(client, keys, window, call, "f").status();
}

}  // namespace tracegate::redis
