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

/**
 * A script for ioredis `defineCommand` (run by EVALSHA, with EVAL on NOSCRIPT) whose keys and
 * arguments have names. The Lua body is written with `KEY.name` and `ARG.name`, callers pass
 * them as objects, and the one list here decides their positions on both sides: reordering
 * it can never hand a script one value in another's place. The names are compiled into
 * `KEYS[n]` and `ARGV[n]` when the script is defined, so a call builds no table of them.
 */
export interface StoreScript<K extends string = string, A extends string = string> {
  readonly name: string
  /** Key names, in the order of `KEYS`. */
  readonly keys: readonly K[]
  /** Argument names, in the order of `ARGV`. */
  readonly args: readonly A[]
  readonly numberOfKeys: number
  /** The body as Redis runs it: the shared helpers it asked for, its names made positions. */
  readonly lua: string
}

/** What a call of `script` passes: every key and every argument by name. */
export interface ScriptInput<K extends string, A extends string> {
  keys: Readonly<Record<K, string>>
  args: Readonly<Record<A, string | number>>
}

const NAME = /^[A-Za-z][A-Za-z0-9]*$/

// What the session scripts share. Each is a local function defined by every call of a script
// that asks for it (Redis runs a script's body anew each time), so they are few and small, and
// the work is done by C functions (`string.match`, `tonumber(x, 16)`, `string.format`) rather
// than Lua loops wherever one exists. Lua numbers are doubles: integers are formatted
// explicitly, or 13-digit times would become 1.7e+12.
const HELPERS = `
-- string.format does hex in C, where a loop of Lua string operations per digit would cost a
-- rotation microseconds of Redis CPU.
local function hex(n)
  if n < 0 then return '-' .. string.format('%x', -n) end
  return string.format('%x', n)
end
-- A packed session record (see lib/keys.ts): generation, creation time, the last use,
-- absolute and idle expiries as offsets from it, numbers in hex, then the rest: '' (no user
-- agent) or '/<digest>' (a shared user-agent record).
local RECORD = '^(%x+):(%x+):(-?%x+):(%x+):(-?%x+)(.*)$'
-- The digest a record names after '/', or nil: ended sessions hand theirs back for release.
local function digestOf(rest) return rest and string.match(rest, '^/([%w_-]+)$') end
local function num(v)
  if string.byte(v) == 45 then return -tonumber(string.sub(v, 2), 16) end
  return tonumber(v, 16)
end
-- The time that decides: the caller's when given (tests), else this Redis server's.
local function clock(given)
  if given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return t[1] * 1000 + math.floor(t[2] / 1000)
end
`

/**
 * Defines a script with named keys and arguments. Every name must be a Lua identifier, be
 * declared once and be used by the body, which must not index `KEYS` or `ARGV` itself:
 * checked here, when the module loads, so a slip fails every test rather than one session.
 */
export function defineScript<const K extends string, const A extends string>(definition: {
  name: string
  keys: readonly K[]
  args: readonly A[]
  /** Whether the body uses the shared helpers (`hex`, `num`, `digestOf`, `RECORD`, `clock`). */
  helpers: boolean
  lua: string
}): StoreScript<K, A> {
  const { name, keys, args, lua } = definition
  const problem = (what: string) => new Error(`store script ${name}: ${what}`)
  if (/\b(KEYS|ARGV)\[/.test(lua)) throw problem('reads KEYS or ARGV by position')
  const tables: [string, string, readonly string[]][] = [
    ['KEY', 'KEYS', keys],
    ['ARG', 'ARGV', args],
  ]
  let body = lua
  for (const [table, positional, names] of tables) {
    if (new Set(names).size !== names.length) throw problem(`declares a ${table} name twice`)
    for (const item of names) {
      if (!NAME.test(item)) throw problem(`${table}.${item} is not a Lua name`)
      if (!new RegExp(`\\b${table}\\.${item}\\b`).test(lua))
        throw problem(`never uses ${table}.${item}`)
    }
    body = body.replace(new RegExp(`\\b${table}\\.([A-Za-z0-9]+)\\b`, 'g'), (_, used: string) => {
      const at = names.indexOf(used)
      if (at < 0) throw problem(`uses ${table}.${used}, which it does not declare`)
      return `${positional}[${at + 1}]`
    })
  }
  return {
    name,
    keys,
    args,
    numberOfKeys: keys.length,
    lua: `${definition.helpers ? HELPERS : ''}${body}`,
  }
}

/**
 * The `KEYS` and then `ARGV` of a call, each in its declared order.
 *
 * @example
 * ```ts
 * scriptArguments(revokeSessionScript, { keys: { sessions }, args: { sessionId } })
 * ```
 */
export function scriptArguments<K extends string, A extends string>(
  script: StoreScript<K, A>,
  input: ScriptInput<K, A>,
): (string | number)[] {
  return [
    ...script.keys.map((key) => input.keys[key]),
    ...script.args.map((arg) => input.args[arg]),
  ]
}

/**
 * KEYS: sessions, user. ARGV: sessionId, now ('' for the Redis clock), the idle and absolute
 * lifetimes in milliseconds in hex (the idle one capped by the other), userTtlMs,
 * the user agent's digest ('' for none), index renewal interval in seconds, maxSessions (0: no bound), the password version the login
 * verified ('' not to check it).
 *
 * Below the bound a login reads none of the user's sessions, so its cost does not grow with
 * them. At the bound it drops the dead ones first (they never push a live one out), then the
 * least recently used live ones, so the hash never holds more than maxSessions and every
 * script that reads it is bounded by it. Without a bound it drops the dead ones each time the
 * count reaches a power of two from 16 on: they never outnumber the live ones by much, at a
 * cost per login that stays constant on average. Renews the user record's TTL (a login).
 * Returns {the time it decided with, the username when its index is due for renewal (field
 * `x`: when it was last renewed, on the Redis clock) or '', the space-separated user-agent
 * digests of the sessions it ended (for release), evicted session ids...}, or {''} without
 * a write when the user's password version is no longer the one the login verified.
 */
export const createSessionScript = defineScript({
  name: 'refreshKitCreateSession',
  keys: ['sessions', 'user'],
  args: [
    'sessionId',
    'now',
    'idleHex',
    'maxAgeHex',
    'userTtlMs',
    'userAgentDigest',
    'indexRenewalSeconds',
    'maxSessions',
    'passwordVersion',
  ],
  helpers: true,
  lua: `
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
`,
})

/**
 * KEYS: sessions, user. ARGV: sessionId, generation, now ('' for the Redis clock), idleMs,
 * graceMs.
 * Returns {0 invalid | 3 reused, the user-agent digest of a session it ended or ''}, or
 * {1 rotated | 2 grace, packed record, username}: no user
 * agent, which a refresh never needs. Check and rotate in one step, or two concurrent refreshes
 * would both rotate. The username comes from the user hash in the same slot, so a refresh
 * stays one round trip without a copy of it in every session; a session whose user record is
 * gone (expired) is dropped before anything is written, as invalid. A shared user-agent
 * record is left alone: it lives as long as the longest session that names it can.
 */
export const rotateScript = defineScript({
  name: 'refreshKitRotate',
  keys: ['sessions', 'user'],
  args: ['sessionId', 'generation', 'now', 'idleMs', 'graceMs'],
  helpers: true,
  lua: `
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
`,
})

/**
 * KEYS: sessions. ARGV: sessionId, now ('' for the Redis clock). Returns {packed record, the
 * time to judge its expiry with}, or {} when there is no such session.
 */
export const getSessionScript = defineScript({
  name: 'refreshKitGetSession',
  keys: ['sessions'],
  args: ['sessionId', 'now'],
  helpers: true,
  lua: `
local packed = redis.call('HGET', KEY.sessions, ARG.sessionId)
if not packed then return {} end
return {packed, string.format('%d', clock(ARG.now))}
`,
})

/**
 * KEYS: sessions. ARGV: now ('' for the Redis clock). Drops dead sessions and returns the
 * space-separated user-agent digests of those it dropped, then the live ones as a flat list
 * of id and packed record.
 */
export const listSessionsScript = defineScript({
  name: 'refreshKitListSessions',
  keys: ['sessions'],
  args: ['now'],
  helpers: true,
  lua: `
local now = clock(ARG.now)
local fields = redis.call('HGETALL', KEY.sessions)
local out = {''}
local released = {}
for j = 1, #fields, 2 do
  local id = fields[j]
  local g, c, _, a, i, rest = string.match(fields[j + 1], RECORD)
  local created = g and num(c)
  if not g or now >= created + num(i) or now >= created + num(a) then
    redis.call('HDEL', KEY.sessions, id)
    released[#released + 1] = digestOf(rest)
  else
    out[#out + 1] = id
    out[#out + 1] = fields[j + 1]
  end
end
out[1] = table.concat(released, ' ')
return out
`,
})

/**
 * KEYS: a shared user-agent record, a hash of the user agent (`v`) and the number of sessions
 * that name it (`n`). ARGV: the user agent, TTL in milliseconds. Counts one more session and
 * lengthens the TTL to at least this one: it must outlive every session that names it, and a
 * login never shortens what an earlier one with a longer lifetime set.
 */
export const shareUserAgentScript = defineScript({
  name: 'refreshKitShareUserAgent',
  keys: ['userAgent'],
  args: ['userAgent', 'ttlMs'],
  helpers: false,
  lua: `
redis.call('HSET', KEY.userAgent, 'v', ARG.userAgent)
local sessions = redis.call('HINCRBY', KEY.userAgent, 'n', 1)
if redis.call('PEXPIRE', KEY.userAgent, ARG.ttlMs, 'NX') == 0 then
  redis.call('PEXPIRE', KEY.userAgent, ARG.ttlMs, 'GT')
end
return sessions
`,
})

/**
 * KEYS: a shared user-agent record. Counts one session fewer, and deletes the record when no
 * session names it any more: sessions that a login evicts or a logout ends take their record
 * with them, so an account's records stay within its session bound. A session that simply
 * expires is not counted down; its record lives out its TTL. Returns the sessions left.
 */
export const releaseUserAgentScript = defineScript({
  name: 'refreshKitReleaseUserAgent',
  keys: ['userAgent'],
  args: [],
  helpers: false,
  lua: `
local sessions = redis.call('HINCRBY', KEY.userAgent, 'n', -1)
if sessions <= 0 then redis.call('DEL', KEY.userAgent) end
return sessions
`,
})

/**
 * KEYS: sessions. ARGV: sessionId. Returns {1 when the session existed else 0, its user-agent
 * digest or ''}.
 */
export const revokeSessionScript = defineScript({
  name: 'refreshKitRevokeSession',
  keys: ['sessions'],
  args: ['sessionId'],
  helpers: true,
  lua: `
local packed = redis.call('HGET', KEY.sessions, ARG.sessionId)
if not packed then return {0, ''} end
redis.call('HDEL', KEY.sessions, ARG.sessionId)
local rest = select(6, string.match(packed, RECORD))
return {1, digestOf(rest) or ''}
`,
})

/**
 * KEYS: sessions. ARGV: the session id to keep ('' for none). Returns {the space-separated
 * user-agent digests of the sessions it ended, their ids}.
 */
export const revokeAllSessionsScript = defineScript({
  name: 'refreshKitRevokeAllSessions',
  keys: ['sessions'],
  args: ['keepSessionId'],
  helpers: true,
  lua: `
local fields = redis.call('HGETALL', KEY.sessions)
local ended = {}
local released = {}
for j = 1, #fields, 2 do
  local id = fields[j]
  if id ~= ARG.keepSessionId then
    redis.call('HDEL', KEY.sessions, id)
    ended[#ended + 1] = id
    released[#released + 1] = digestOf(select(6, string.match(fields[j + 1], RECORD)))
  end
end
return {table.concat(released, ' '), ended}
`,
})

/**
 * KEYS: user. ARGV: password hash, the hash it re-hashes ('' for a change of password).
 * Returns 1 when the user exists and was updated. A change counts the version `v` up, which a
 * login's session creation checks; a re-hash of the same password happens only while the
 * hash is still the one it re-hashes, and keeps the version.
 */
export const setPasswordHashScript = defineScript({
  name: 'refreshKitSetPasswordHash',
  keys: ['user'],
  args: ['passwordHash', 'rehashOf'],
  helpers: false,
  lua: `
if redis.call('EXISTS', KEY.user) == 0 then return 0 end
if ARG.rehashOf ~= '' then
  if redis.call('HGET', KEY.user, 'h') ~= ARG.rehashOf then return 0 end
else
  redis.call('HINCRBY', KEY.user, 'v', 1)
end
redis.call('HSET', KEY.user, 'h', ARG.passwordHash)
return 1
`,
})

/**
 * KEYS: user. ARGV: username, passwordHash, createdAt, userTtlMs. Writes the user hash with
 * its TTL, noting the username index as just renewed; returns 0 without writing when the id
 * is already taken.
 */
export const putUserScript = defineScript({
  name: 'refreshKitPutUser',
  keys: ['user'],
  args: ['username', 'passwordHash', 'createdAt', 'userTtlMs'],
  helpers: false,
  lua: `
if redis.call('EXISTS', KEY.user) == 1 then return 0 end
redis.call('HSET', KEY.user, 'n', ARG.username, 'h', ARG.passwordHash, 'c', ARG.createdAt, 'x', redis.call('TIME')[1])
redis.call('PEXPIRE', KEY.user, ARG.userTtlMs)
return 1
`,
})

/** KEYS: username index. ARGV: user id. Deletes the index only if it still names that user. */
export const releaseUsernameScript = defineScript({
  name: 'refreshKitReleaseUsername',
  keys: ['usernameIndex'],
  args: ['userId'],
  helpers: false,
  lua: `
if redis.call('GET', KEY.usernameIndex) == ARG.userId then return redis.call('DEL', KEY.usernameIndex) end
return 0
`,
})

/**
 * KEYS: username index. ARGV: abandoned holder's id, new user id, userTtlMs, the highest PTTL
 * an abandoned index can have. Hands the username to the new user only if the index still
 * names the same holder and was written long enough ago that no registration of the holder
 * can still be under way. Returns 1 when it did.
 */
export const reclaimUsernameScript = defineScript({
  name: 'refreshKitReclaimUsername',
  keys: ['usernameIndex'],
  args: ['holderId', 'userId', 'userTtlMs', 'maxAbandonedPttlMs'],
  helpers: false,
  lua: `
if redis.call('GET', KEY.usernameIndex) ~= ARG.holderId then return 0 end
if redis.call('PTTL', KEY.usernameIndex) > tonumber(ARG.maxAbandonedPttlMs) then return 0 end
redis.call('SET', KEY.usernameIndex, ARG.userId, 'PX', ARG.userTtlMs)
return 1
`,
})

/** Every script, for registration on a client. */
export const STORE_SCRIPTS: readonly StoreScript[] = [
  createSessionScript,
  rotateScript,
  getSessionScript,
  listSessionsScript,
  shareUserAgentScript,
  releaseUserAgentScript,
  revokeSessionScript,
  revokeAllSessionsScript,
  setPasswordHashScript,
  putUserScript,
  releaseUsernameScript,
  reclaimUsernameScript,
]
