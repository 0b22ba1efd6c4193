#include "gateway/redis/dedupe_script.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace tracegate::redis {
namespace {

// KEYS: 1 previous bucket, 2 current bucket, 3 next bucket, 4 stream, 5 events counter
// ARGV: 1 mode ("d" dedupe, "a" dedupe + append, "f" forget), 2 now ms, 3 window ms,
//       4 read the next bucket ("1"/"0"), 5 ttl ms of the current bucket, 6 cap, 7 n,
//       8..7+n ids, 8+n..7+2n event records (mode "a")
// Returns {0 recorded | 1 appended | 2 full, "1"/"0" per id, entry id | queued events}.
constexpr char kSource[] = R"lua(
local mode = ARGV[1]
local n = tonumber(ARGV[7])
local function chunks(first, last, fn)
  local i = first
  while i <= last do
    local j = math.min(i + 999, last)
    fn(i, j)
    i = j + 1
  end
end
if mode == 'f' then
  for k = 1, 3 do
    chunks(8, 7 + n, function(i, j) redis.call('HDEL', KEYS[k], unpack(ARGV, i, j)) end)
  end
  return {0, '', ''}
end
local cutoff = tonumber(ARGV[2]) - tonumber(ARGV[3])
local seen = {}
local lookups = {KEYS[1], KEYS[2]}
if ARGV[4] == '1' then lookups[3] = KEYS[3] end
for _, key in ipairs(lookups) do
  chunks(8, 7 + n, function(i, j)
    local got = redis.call('HMGET', key, unpack(ARGV, i, j))
    for k = 1, j - i + 1 do
      local t = got[k]
      if t and tonumber(t) > cutoff then seen[ARGV[i + k - 1]] = true end
    end
  end)
end
local flags, fresh, records = {}, {}, {}
for i = 1, n do
  local id = ARGV[7 + i]
  if seen[id] then
    flags[i] = '0'
  else
    flags[i] = '1'
    seen[id] = true
    fresh[#fresh + 1] = id
    if mode == 'a' then records[#records + 1] = ARGV[7 + n + i] end
  end
end
flags = table.concat(flags)
local count = #fresh
if count == 0 then return {0, flags, ''} end
local result = {0, flags, ''}
if mode == 'a' then
  local queued = tonumber(redis.call('GET', KEYS[5]) or '0')
  if queued + count > tonumber(ARGV[6]) then return {2, flags, tostring(queued)} end
  local entry = redis.call('XADD', KEYS[4], '*', 'n', count, 'b', table.concat(records))
  redis.call('INCRBY', KEYS[5], count)
  result = {1, flags, entry}
end
local ts = ARGV[2]
chunks(1, count, function(i, j)
  local fv = {}
  for k = i, j do
    fv[#fv + 1] = fresh[k]
    fv[#fv + 1] = ts
  end
  redis.call('HSET', KEYS[2], unpack(fv))
end)
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return result
)lua";

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
  Args args;
  args.AddOwned(keys.Dedupe(call.route, call.workspace, bucket - 1))
      .AddOwned(keys.Dedupe(call.route, call.workspace, bucket))
      .AddOwned(keys.Dedupe(call.route, call.workspace, bucket + 1))
      .AddOwned(keys.Stream(call.route))
      .AddOwned(keys.Events(call.route));
  args.Add(mode).Add(now_ms).Add(window_ms).Add(check_next ? "1" : "0").Add(ttl_ms);
  args.Add(call.cap).Add(static_cast<int64_t>(call.ids.size()));
  for (absl::string_view id : call.ids) args.Add(id);
  for (absl::string_view r : call.records) args.Add(r);
  return client.Eval(DedupeScript(), 5, args);
}

}  // namespace

absl::StatusOr<DedupeResult> RunDedupe(Client& client, const KeySpace& keys,
                                       const DedupeWindow& window, const DedupeCall& call) {
  const bool append = !call.records.empty();
  if (append && call.records.size() != call.ids.size()) {
    return absl::InvalidArgumentError("dedupe: one record per id is required");
  }
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
