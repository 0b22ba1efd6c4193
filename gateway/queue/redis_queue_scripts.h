// The Lua scripts of RedisQueue (each one round trip, atomic). Key names: redis/keys.h.
#pragma once

#include "gateway/redis/command.h"

namespace tracegate::queue::scripts {

// KEYS: stream, events counter, payload key (SET just before, in the same transaction).
// ARGV: cap, events. → {1, entry id} | {2, queued events} (full: payload deleted)
inline redis::Script& Append() {
  static auto* s = new redis::Script(R"lua(
local queued = tonumber(redis.call('GET', KEYS[2]) or '0')
local n = tonumber(ARGV[2])
if queued + n > tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[3])
  return {2, tostring(queued)}
end
redis.call('PERSIST', KEYS[3])
local id = redis.call('XADD', KEYS[1], '*', 'n', n, 'k', KEYS[3])
redis.call('INCRBY', KEYS[2], n)
return {1, id}
)lua");
  return *s;
}

// KEYS: stream. ARGV: group, consumer, min idle ms, count, cursor, consumer gc idle ms.
// Takes over entries idle longer than min idle (XAUTOCLAIM), with their delivery counts, and
// deletes consumers that hold nothing and were idle longer than the gc threshold.
// → {next cursor, {id, fields, delivery count}...}
inline redis::Script& Claim() {
  static auto* s = new redis::Script(R"lua(
local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[5],
                     'COUNT', ARGV[4])
local out = {r[1]}
for _, e in ipairs(r[2]) do
  if type(e) == 'table' and e[1] then
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
    local count = 1
    if p[1] then count = p[1][4] end
    out[#out + 1] = {e[1], e[2], count}
  end
end
local consumers = redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
for _, c in ipairs(consumers) do
  local info = {}
  for j = 1, #c, 2 do info[c[j]] = c[j + 1] end
  if info['name'] ~= ARGV[2] and info['pending'] == 0 and info['idle'] > tonumber(ARGV[6]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
  end
end
return out
)lua");
  return *s;
}

// KEYS: stream. ARGV: group, consumer, idle ms, ids... For each id this consumer still owns,
// sets its idle time (0 = heartbeat: keep it; large = release: claimable at once).
// → number of ids still owned
inline redis::Script& Touch() {
  static auto* s = new redis::Script(R"lua(
local kept = 0
for i = 4, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'IDLE', ARGV[3], 'JUSTID')
    kept = kept + 1
  end
end
return kept
)lua");
  return *s;
}

// KEYS: stream, events counter. ARGV: group, then triples (entry id, events, payload key),
// events -1 = look the entry up. XACK + XDEL each entry and delete its payload; the counter
// drops by the events of entries that still existed. → events removed
inline redis::Script& Ack() {
  static auto* s = new redis::Script(R"lua(
local removed = 0
for i = 2, #ARGV, 3 do
  local id, n, key = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  if n < 0 then
    n, key = 0, ''
    local e = redis.call('XRANGE', KEYS[1], id, id)
    if e[1] then
      local f = e[1][2]
      for j = 1, #f, 2 do
        if f[j] == 'n' then n = tonumber(f[j + 1]) elseif f[j] == 'k' then key = f[j + 1] end
      end
    end
  end
  redis.call('XACK', KEYS[1], ARGV[1], id)
  if redis.call('XDEL', KEYS[1], id) == 1 then
    removed = removed + n
    if key ~= '' then redis.call('DEL', key) end
  end
end
if removed > 0 then redis.call('DECRBY', KEYS[2], removed) end
return removed
)lua");
  return *s;
}

// KEYS: dead letter stream, dead letter counter. ARGV: max length, field/value pairs.
// → dead letters ever written
inline redis::Script& AddDeadLetter() {
  static auto* s = new redis::Script(R"lua(
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 2))
return redis.call('INCR', KEYS[2])
)lua");
  return *s;
}

// KEYS: dead letter stream, stream, events counter, new payload key. ARGV: max letters, cap.
// Moves the oldest dead letters into one new queue entry (rare: the records pass through Lua).
// → {replayed, entry id} | {-1, queued events} (full: nothing moved)
inline redis::Script& Replay() {
  static auto* s = new redis::Script(R"lua(
local items = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', ARGV[1])
if #items == 0 then return {0, ''} end
local parts, ids = {}, {}
for i, item in ipairs(items) do
  ids[i] = item[1]
  local f = item[2]
  for j = 1, #f, 2 do if f[j] == 'e' then parts[#parts + 1] = f[j + 1] end end
end
local queued = tonumber(redis.call('GET', KEYS[3]) or '0')
if queued + #parts > tonumber(ARGV[2]) then return {-1, tostring(queued)} end
redis.call('SET', KEYS[4], table.concat(parts))
local entry = redis.call('XADD', KEYS[2], '*', 'n', #parts, 'k', KEYS[4])
redis.call('INCRBY', KEYS[3], #parts)
for i = 1, #ids, 1000 do
  redis.call('XDEL', KEYS[1], unpack(ids, i, math.min(i + 999, #ids)))
end
return {#parts, entry}
)lua");
  return *s;
}

// KEYS: stream, events counter, dead letter counter. ARGV: group.
// → {events, entries, pending entries, oldest entry id or "", dead letters}
inline redis::Script& Stats() {
  static auto* s = new redis::Script(R"lua(
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
local len = redis.call('XLEN', KEYS[1])
local pending = 0
local p = redis.pcall('XPENDING', KEYS[1], ARGV[1])
if type(p) == 'table' and not p.err then pending = p[1] end
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local oldest = ''
if first[1] then oldest = first[1][1] end
local dead = tonumber(redis.call('GET', KEYS[3]) or '0')
return {n, len, pending, oldest, dead}
)lua");
  return *s;
}

}  // namespace tracegate::queue::scripts
