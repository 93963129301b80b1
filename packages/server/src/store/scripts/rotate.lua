-- KEYS: sessions, user. ARGV: sessionId, generation, now ('' for the Redis clock), idleMs,
-- graceMs.
-- Returns {0 invalid | 3 reused, the user-agent digest of a session it ended or ''}, or
-- {1 rotated | 2 grace, packed record, username}: no user agent, which a refresh never needs.
-- Check and rotate in one step, or two concurrent refreshes would both rotate. The username comes from the user hash in the same slot, so a refresh
-- stays one round trip without a copy of it in every session; a session whose user record is
-- gone (expired) is dropped before anything is written, as invalid. A shared user-agent
-- record is left alone: it lives as long as the longest session that names it can.
local packed = redis.call('HGET', KEY.sessions, ARG.sessionId)
if not packed then return {0} end
local g, c, l, a, i, rest = string.match(packed, RECORD)
local now = clock(ARG.now)
local username = redis.call('HGET', KEY.user, 'n')
local created = g and num(c)
local absolute = g and created + num(a)
if not username or not g or now >= created + num(i) or now >= absolute then
  redis.call('HDEL', KEY.sessions, ARG.sessionId)
  return {0, digestOf(rest) or ''}
end
local generation = tonumber(ARG.generation)
g = tonumber(g, 16)
local status = 2
if generation == g then
  local idle = math.min(now + tonumber(ARG.idleMs), absolute)
  packed = hex(g + 1) .. ':' .. c .. ':' .. hex(now - created) .. ':' .. a .. ':' .. hex(idle - created) .. rest
  redis.call('HSET', KEY.sessions, ARG.sessionId, packed)
  -- The hash lives as long as its longest-lived session; it has a TTL since its first login.
  redis.call('PEXPIRE', KEY.sessions, idle - now, 'GT')
  status = 1
elseif generation > g then
  return {0}
elseif generation ~= g - 1 or now - (created + num(l)) > tonumber(ARG.graceMs) then
  redis.call('HDEL', KEY.sessions, ARG.sessionId)
  return {3, digestOf(rest) or ''}
end
return {status, packed, username}
