/**
 * The Lua scripts of the Redis store. Each runs atomically on one slot: the user-agent keys
 * it builds from a prefix in ARGV share the hash tag of its declared keys. Times and
 * durations are integer milliseconds. Rotation times, the grace window and expiry are decided
 * on the Redis server's clock (`TIME`, read inside the script: on a cluster the slot's
 * master), so instances whose clocks differ agree on them; a `now` argument that is not empty
 * replaces it (tests that move time). Redis 7 replicates scripts by their effects, so `TIME`
 * is allowed before writes. Real key TTLs (the same durations from the moment of the write)
 * are the backstop that frees memory. Session records are packed as `lib/keys.ts` describes.
 */

/** A definition for ioredis `defineCommand`: run by EVALSHA, with EVAL on NOSCRIPT. */
export interface StoreScript {
  readonly name: string
  readonly numberOfKeys: number
  readonly lua: string
}

// Lua numbers are doubles: integers are formatted explicitly, or 13-digit times would
// become 1.7e+12.
const HELPERS = `
local DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz'
local function int(x) return string.format('%d', x) end
local function b36(n)
  if n < 0 then return '-' .. b36(-n) end
  if n == 0 then return '0' end
  local s = ''
  while n > 0 do
    local d = n % 36
    s = string.sub(DIGITS, d + 1, d + 1) .. s
    n = (n - d) / 36
  end
  return s
end
local function from36(v)
  if string.sub(v, 1, 1) == '-' then return -tonumber(string.sub(v, 2), 36) end
  return tonumber(v, 36)
end
local function pack(s)
  return table.concat({b36(s.g), b36(s.c), b36(s.l - s.c), b36(s.a - s.c), b36(s.i - s.c),
    b36(s.r - s.c)}, ':')
end
local function unpack36(v)
  local t = {}
  for part in string.gmatch(v, '[^:]+') do t[#t + 1] = from36(part) end
  local c = t[2]
  return {g = t[1], c = c, l = c + t[3], a = c + t[4], i = c + t[5], r = c + t[6]}
end
local function dead(s, now) return now >= s.i or now >= s.a end
-- The time that decides: the caller's when given (tests), else this Redis server's.
local function clock(given)
  if given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function extend(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, int(ms)) end
end
`

/**
 * KEYS: sessions, user agent, user. ARGV: sessionId, now ('' for the Redis clock), idleMs,
 * maxAgeMs, userTtlMs, hasUserAgent ('1' or '0'), userAgent, user-agent key prefix, index
 * renewal interval in seconds. Drops the user's dead sessions on the way, so a user's hash
 * cannot grow without bound, and renews the user record's TTL (a login). Returns {the time
 * it decided with, the username when its index is due for renewal (field `x`: when it was
 * last renewed, on the Redis clock) or false}.
 */
export const createSessionScript: StoreScript = {
  name: 'refreshKitCreateSession',
  numberOfKeys: 3,
  lua: `${HELPERS}
local now = clock(ARGV[2])
local fields = redis.call('HGETALL', KEYS[1])
for j = 1, #fields, 2 do
  if dead(unpack36(fields[j + 1]), now) then
    redis.call('HDEL', KEYS[1], fields[j])
    redis.call('DEL', ARGV[8] .. fields[j])
  end
end
local absolute = now + tonumber(ARGV[4])
local idle = math.min(now + tonumber(ARGV[3]), absolute)
local s = {g = 0, c = now, l = now, a = absolute, i = idle, r = now}
redis.call('HSET', KEYS[1], ARGV[1], pack(s))
extend(KEYS[1], idle - now)
if ARGV[6] == '1' then
  redis.call('SET', KEYS[2], ARGV[7], 'PX', int(idle - now))
else
  redis.call('DEL', KEYS[2])
end
local username = redis.call('HGET', KEYS[3], 'n')
if not username then return {int(now), false} end
redis.call('PEXPIRE', KEYS[3], ARGV[5])
-- The username index is in another slot; ask for its renewal only once per interval.
local second = tonumber(redis.call('TIME')[1])
local renewed = tonumber(redis.call('HGET', KEYS[3], 'x') or '0')
if second - renewed < tonumber(ARGV[9]) then return {int(now), false} end
redis.call('HSET', KEYS[3], 'x', int(second))
return {int(now), username}
`,
}

/**
 * KEYS: sessions, user agent, user. ARGV: sessionId, generation, now ('' for the Redis
 * clock), idleMs, graceMs.
 * Returns {0} invalid, {3} reused, or {1 rotated | 2 grace, packed record, username,
 * user agent}. Check and rotate in one step, or two concurrent refreshes would both rotate.
 * The username comes from the user hash in the same slot, so a refresh stays one round trip
 * without a copy of it in every session; a session whose user record is gone (expired) is
 * dropped before anything is written, as invalid.
 */
export const rotateScript: StoreScript = {
  name: 'refreshKitRotate',
  numberOfKeys: 3,
  lua: `${HELPERS}
local packed = redis.call('HGET', KEYS[1], ARGV[1])
if not packed then return {0} end
local s = unpack36(packed)
local generation = tonumber(ARGV[2])
local now = clock(ARGV[3])
local function forget()
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('DEL', KEYS[2])
end
local username = redis.call('HGET', KEYS[3], 'n')
if not username or dead(s, now) then
  forget()
  return {0}
end
local status
if generation == s.g then
  s.g = s.g + 1
  s.r = now
  s.l = now
  s.i = math.min(now + tonumber(ARGV[4]), s.a)
  packed = pack(s)
  redis.call('HSET', KEYS[1], ARGV[1], packed)
  extend(KEYS[1], s.i - now)
  redis.call('PEXPIRE', KEYS[2], int(s.i - now))
  status = 1
elseif generation > s.g then
  return {0}
elseif generation == s.g - 1 and now - s.r <= tonumber(ARGV[5]) then
  status = 2
else
  forget()
  return {3}
end
return {status, packed, username, redis.call('GET', KEYS[2])}
`,
}

/**
 * KEYS: sessions, user agent. ARGV: sessionId, now ('' for the Redis clock). Returns
 * {packed record, user agent, the time to judge its expiry with}.
 */
export const getSessionScript: StoreScript = {
  name: 'refreshKitGetSession',
  numberOfKeys: 2,
  lua: `${HELPERS}
local packed = redis.call('HGET', KEYS[1], ARGV[1])
if not packed then return {} end
return {packed, redis.call('GET', KEYS[2]), int(clock(ARGV[2]))}
`,
}

/**
 * KEYS: sessions. ARGV: user-agent key prefix, now ('' for the Redis clock). Drops dead
 * sessions and returns the live ones as a flat list of id, packed record, user agent.
 */
export const listSessionsScript: StoreScript = {
  name: 'refreshKitListSessions',
  numberOfKeys: 1,
  lua: `${HELPERS}
local now = clock(ARGV[2])
local fields = redis.call('HGETALL', KEYS[1])
local out = {}
for j = 1, #fields, 2 do
  local id = fields[j]
  local s = unpack36(fields[j + 1])
  if dead(s, now) then
    redis.call('HDEL', KEYS[1], id)
    redis.call('DEL', ARGV[1] .. id)
  else
    out[#out + 1] = id
    out[#out + 1] = fields[j + 1]
    out[#out + 1] = redis.call('GET', ARGV[1] .. id)
  end
end
return out
`,
}

/** KEYS: sessions, user agent. ARGV: sessionId. Returns 1 when the session existed. */
export const revokeSessionScript: StoreScript = {
  name: 'refreshKitRevokeSession',
  numberOfKeys: 2,
  lua: `
redis.call('DEL', KEYS[2])
return redis.call('HDEL', KEYS[1], ARGV[1])
`,
}

/** KEYS: sessions. ARGV: user-agent key prefix. Returns how many sessions existed. */
export const revokeAllSessionsScript: StoreScript = {
  name: 'refreshKitRevokeAllSessions',
  numberOfKeys: 1,
  lua: `
local ids = redis.call('HKEYS', KEYS[1])
for _, id in ipairs(ids) do redis.call('DEL', ARGV[1] .. id) end
redis.call('DEL', KEYS[1])
return #ids
`,
}

/**
 * KEYS: user. ARGV: username, passwordHash, createdAt, userTtlMs. Writes the user hash with
 * its TTL, noting the username index as just renewed; returns 0 without writing when the id
 * is already taken.
 */
export const putUserScript: StoreScript = {
  name: 'refreshKitPutUser',
  numberOfKeys: 1,
  lua: `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'n', ARGV[1], 'h', ARGV[2], 'c', ARGV[3], 'x', redis.call('TIME')[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`,
}

/** KEYS: username index. ARGV: user id. Deletes the index only if it still names that user. */
export const releaseUsernameScript: StoreScript = {
  name: 'refreshKitReleaseUsername',
  numberOfKeys: 1,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
}

/**
 * KEYS: username index. ARGV: abandoned holder's id, new user id, userTtlMs, the highest PTTL
 * an abandoned index can have. Hands the username to the new user only if the index still
 * names the same holder and was written long enough ago that no registration of the holder
 * can still be under way. Returns 1 when it did.
 */
export const reclaimUsernameScript: StoreScript = {
  name: 'refreshKitReclaimUsername',
  numberOfKeys: 1,
  lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('PTTL', KEYS[1]) > tonumber(ARGV[4]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`,
}

/**
 * KEYS: counter. ARGV: windowMs. A fixed window: the first hit starts it (INCR, then the
 * expiry only when there is none yet, as EXPIRE NX) and later hits never extend it.
 * Returns {count, pttl}.
 */
export const hitScript: StoreScript = {
  name: 'refreshKitHit',
  numberOfKeys: 1,
  lua: `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`,
}

/** KEYS: counter. Returns {count, pttl}, {0, 0} when there is no window. */
export const peekScript: StoreScript = {
  name: 'refreshKitPeek',
  numberOfKeys: 1,
  lua: `
local count = redis.call('GET', KEYS[1])
if not count then return {0, 0} end
return {tonumber(count), redis.call('PTTL', KEYS[1])}
`,
}

/** Every script, for registration on a client. */
export const STORE_SCRIPTS: readonly StoreScript[] = [
  createSessionScript,
  rotateScript,
  getSessionScript,
  listSessionsScript,
  revokeSessionScript,
  revokeAllSessionsScript,
  putUserScript,
  releaseUsernameScript,
  reclaimUsernameScript,
  hitScript,
  peekScript,
]
