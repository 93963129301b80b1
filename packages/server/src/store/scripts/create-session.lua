-- KEYS: sessions, user. ARGV: sessionId, now ('' for the Redis clock), the idle and absolute
-- lifetimes in milliseconds in hex (the idle one capped by the other), userTtlMs, the user
-- agent's digest ('' for none), index renewal interval in seconds, maxSessions (0: no bound),
-- the password version the login verified ('' not to check it).
--
-- Below the bound a login reads none of the user's sessions, so its cost does not grow with
-- them. At the bound it drops the dead ones first (they never push a live one out), then the
-- least recently used live ones, so the hash never holds more than maxSessions and every
-- script that reads it is bounded by it. Without a bound it drops the dead ones each time the
-- count reaches a power of two from 16 on: they never outnumber the live ones by much, at a
-- cost per login that stays constant on average. Renews the user record's TTL (a login).
-- Returns {the time it decided with, the username when its index is due for renewal (field
-- `x`: when it was last renewed, on the Redis clock) or '', the space-separated user-agent
-- digests of the sessions it ended (for release), evicted session ids...}, or {''} without
-- a write when the user's password version is no longer the one the login verified.
-- A login that verified a password changed since leaves nothing: checked before any write.
if ARG.passwordVersion ~= '' and (redis.call('HGET', KEY.user, 'v') or (redis.call('EXISTS', KEY.user) == 1 and '0')) ~= ARG.passwordVersion then
  return {''}
end
local now = clock(ARG.now)
local maxSessions = tonumber(ARG.maxSessions)
local count = redis.call('HLEN', KEY.sessions)
local out = {string.format('%d', now), '', ''}
local released = {}
-- The bound is enforced here, in the login's own atomic step: checked anywhere else, parallel
-- logins would each see room and all be added.
if (maxSessions > 0 and count >= maxSessions)
    or (maxSessions == 0 and count >= 16 and bit.band(count, count - 1) == 0) then
  local fields = redis.call('HGETALL', KEY.sessions)
  local live = {}
  for j = 1, #fields, 2 do
    local id = fields[j]
    local g, c, l, a, i, rest = string.match(fields[j + 1], RECORD)
    local created = g and num(c)
    if not g or now >= created + num(i) or now >= created + num(a) then
      redis.call('HDEL', KEY.sessions, id)
      released[#released + 1] = digestOf(rest)
    else
      live[#live + 1] = {id = id, l = created + num(l), c = created, digest = digestOf(rest)}
    end
  end
  if maxSessions > 0 and #live >= maxSessions then
    -- Least recently used first (last login or refresh), then oldest login, then id.
    table.sort(live, function(x, y)
      if x.l ~= y.l then return x.l < y.l end
      if x.c ~= y.c then return x.c < y.c end
      return x.id < y.id
    end)
    for k = 1, #live - maxSessions + 1 do
      redis.call('HDEL', KEY.sessions, live[k].id)
      released[#released + 1] = live[k].digest
      out[#out + 1] = live[k].id
    end
  end
end
out[3] = table.concat(released, ' ')
local packed = '0:' .. hex(now) .. ':0:' .. ARG.maxAgeHex .. ':' .. ARG.idleHex
if ARG.userAgentDigest ~= '' then packed = packed .. '/' .. ARG.userAgentDigest end
redis.call('HSET', KEY.sessions, ARG.sessionId, packed)
-- A new hash has no TTL yet, which PEXPIRE GT would take for an infinite one.
local idleMs = tonumber(ARG.idleHex, 16)
if redis.call('PTTL', KEY.sessions) < idleMs then redis.call('PEXPIRE', KEY.sessions, idleMs) end
local user = redis.call('HMGET', KEY.user, 'n', 'x')
if not user[1] then return out end
redis.call('PEXPIRE', KEY.user, ARG.userTtlMs)
-- The username index is in another slot; ask for its renewal only once per interval.
local second = tonumber(redis.call('TIME')[1])
if second - tonumber(user[2] or '0') < tonumber(ARG.indexRenewalSeconds) then return out end
redis.call('HSET', KEY.user, 'x', string.format('%d', second))
out[2] = user[1]
return out
