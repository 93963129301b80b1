/**
 * The Lua scripts of the Redis store. Each runs atomically on one slot: the keys it builds
 * from a prefix in ARGV share the hash tag of its declared keys. Times and durations are
 * integer milliseconds; expiry is decided with the caller's `now`, and real key TTLs (the
 * same durations from the moment of the write) are the backstop that frees memory.
 */

/** A definition for ioredis `defineCommand`: run by EVALSHA, with EVAL on NOSCRIPT. */
export interface StoreScript {
  readonly name: string
  readonly numberOfKeys: number
  readonly lua: string
  readonly readOnly?: boolean
}

// Lua numbers are doubles: format integers explicitly, or 13-digit times may become 1.7e+12.
const HELPERS = `
local function int(x) return string.format('%d', x) end
local FIELDS = {'c', 'l', 'a', 'i', 'g', 'r', 'u'}
local function read(key) return redis.call('HMGET', key, unpack(FIELDS)) end
local function extend(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, int(ms)) end
end
`

/**
 * KEYS: session, sessions, user. ARGV: sessionId, now, idleMs, maxAgeMs, userTtlMs,
 * hasUserAgent ('1' or '0'), userAgent. Returns the user's username, or nothing when the
 * store holds no record of the user; the record's TTL is renewed (a login).
 */
export const createSessionScript: StoreScript = {
  name: 'refreshKitCreateSession',
  numberOfKeys: 3,
  lua: `${HELPERS}
local now = tonumber(ARGV[2])
local absolute = now + tonumber(ARGV[4])
local idle = math.min(now + tonumber(ARGV[3]), absolute)
local fields = {'c', int(now), 'l', int(now), 'a', int(absolute), 'i', int(idle), 'g', '0', 'r', int(now)}
if ARGV[6] == '1' then
  fields[#fields + 1] = 'u'
  fields[#fields + 1] = ARGV[7]
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('PEXPIRE', KEYS[1], int(idle - now))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', int(now))
redis.call('ZADD', KEYS[2], int(idle), ARGV[1])
extend(KEYS[2], idle - now)
local username = redis.call('HGET', KEYS[3], 'n')
if username then redis.call('PEXPIRE', KEYS[3], ARGV[5]) end
return username
`,
}

/**
 * KEYS: session, sessions. ARGV: sessionId, generation, now, idleMs, graceMs.
 * Returns {0} invalid, {3} reused, or {1 rotated | 2 grace, ...session fields}.
 * Check and rotate in one step, or two concurrent refreshes would both rotate.
 */
export const rotateScript: StoreScript = {
  name: 'refreshKitRotate',
  numberOfKeys: 2,
  lua: `${HELPERS}
local f = read(KEYS[1])
if not f[1] then return {0} end
local now = tonumber(ARGV[3])
local generation = tonumber(ARGV[2])
local absolute = tonumber(f[3])
local current = tonumber(f[5])
local function forget()
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
if now >= tonumber(f[4]) or now >= absolute then
  forget()
  return {0}
end
local status
if generation == current then
  local idle = math.min(now + tonumber(ARGV[4]), absolute)
  redis.call('HSET', KEYS[1], 'g', int(current + 1), 'r', int(now), 'l', int(now), 'i', int(idle))
  redis.call('PEXPIRE', KEYS[1], int(idle - now))
  redis.call('ZADD', KEYS[2], int(idle), ARGV[1])
  extend(KEYS[2], idle - now)
  f = read(KEYS[1])
  status = 1
elseif generation > current then
  return {0}
elseif generation == current - 1 and now - tonumber(f[6]) <= tonumber(ARGV[5]) then
  status = 2
else
  forget()
  return {3}
end
local out = {status}
for j = 1, #FIELDS do out[j + 1] = f[j] end
return out
`,
}

/**
 * KEYS: sessions. ARGV: session key prefix, now. Prunes dead entries and returns the live
 * sessions as a flat list of id followed by the session fields.
 */
export const listSessionsScript: StoreScript = {
  name: 'refreshKitListSessions',
  numberOfKeys: 1,
  lua: `${HELPERS}
local now = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', int(now))
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. id
  local f = read(key)
  if not f[1] then
    redis.call('ZREM', KEYS[1], id)
  elseif now >= tonumber(f[3]) or now >= tonumber(f[4]) then
    redis.call('DEL', key)
    redis.call('ZREM', KEYS[1], id)
  else
    out[#out + 1] = id
    for j = 1, #FIELDS do out[#out + 1] = f[j] end
  end
end
return out
`,
}

/** KEYS: session, sessions. ARGV: sessionId. Returns 1 when the session existed. */
export const revokeSessionScript: StoreScript = {
  name: 'refreshKitRevokeSession',
  numberOfKeys: 2,
  lua: `
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
`,
}

/** KEYS: sessions. ARGV: session key prefix. Returns how many sessions existed. */
export const revokeAllSessionsScript: StoreScript = {
  name: 'refreshKitRevokeAllSessions',
  numberOfKeys: 1,
  lua: `
local count = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  count = count + redis.call('DEL', ARGV[1] .. id)
end
redis.call('DEL', KEYS[1])
return count
`,
}

/**
 * KEYS: user. ARGV: username, passwordHash, createdAt, userTtlMs. Writes the user hash with
 * its TTL; returns 0 without writing when the id is already taken.
 */
export const putUserScript: StoreScript = {
  name: 'refreshKitPutUser',
  numberOfKeys: 1,
  lua: `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'n', ARGV[1], 'h', ARGV[2], 'c', ARGV[3])
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
  readOnly: true,
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
  listSessionsScript,
  revokeSessionScript,
  revokeAllSessionsScript,
  putUserScript,
  releaseUsernameScript,
  hitScript,
  peekScript,
]
