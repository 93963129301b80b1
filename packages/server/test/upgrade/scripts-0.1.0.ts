// The login, rotation and listing scripts of 0.1.0, as released (src/store/lib/scripts.ts at
// 0.1.0, the others left out), kept to check what an instance still running 0.1.0 makes of the
// records later code writes.
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
 * arguments have names. The Lua body reads them as `KEY.name` and `ARG.name`, callers pass
 * them as objects, and the one list here decides their positions on both sides: reordering
 * it can never hand a script one value in another's place.
 */
export interface StoreScript<K extends string = string, A extends string = string> {
  readonly name: string
  /** Key names, in the order of `KEYS`. */
  readonly keys: readonly K[]
  /** Argument names, in the order of `ARGV`. */
  readonly args: readonly A[]
  readonly numberOfKeys: number
  /** The body, preceded by the `KEY` and `ARG` tables. */
  readonly lua: string
}

/** What a call of `script` passes: every key and every argument by name. */
export interface ScriptInput<K extends string, A extends string> {
  keys: Readonly<Record<K, string>>
  args: Readonly<Record<A, string | number>>
}

const NAME = /^[A-Za-z][A-Za-z0-9]*$/

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
 * Defines a script with named keys and arguments. Every name must be a Lua identifier, be
 * declared once and be used by the body, which must not index `KEYS` or `ARGV` itself:
 * checked here, when the module loads, so a slip fails every test rather than one session.
 */
export function defineScript<const K extends string, const A extends string>(definition: {
  name: string
  keys: readonly K[]
  args: readonly A[]
  /** Whether the body uses the shared helpers (`pack`, `unpack36`, `dead`, ...). */
  helpers: boolean
  lua: string
}): StoreScript<K, A> {
  const { name, keys, args, lua } = definition
  const problem = (what: string) => new Error(`store script ${name}: ${what}`)
  if (/\b(KEYS|ARGV)\[/.test(lua)) throw problem('reads KEYS or ARGV by position')
  const tables: [string, readonly string[]][] = [
    ['KEY', keys],
    ['ARG', args],
  ]
  for (const [table, names] of tables) {
    if (new Set(names).size !== names.length) throw problem(`declares a ${table} name twice`)
    for (const item of names) {
      if (!NAME.test(item)) throw problem(`${table}.${item} is not a Lua name`)
      if (!new RegExp(`\\b${table}\\.${item}\\b`).test(lua))
        throw problem(`never uses ${table}.${item}`)
    }
    for (const used of lua.matchAll(new RegExp(`\\b${table}\\.([A-Za-z0-9]+)`, 'g'))) {
      if (!names.includes(used[1] ?? '')) {
        throw problem(`uses ${table}.${used[1]}, which it does not declare`)
      }
    }
  }
  const tableOf = (variable: string, source: string, names: readonly string[]) =>
    `local ${variable} = {${names.map((item, at) => `${item} = ${source}[${at + 1}]`).join(', ')}}`
  const prelude = [tableOf('KEY', 'KEYS', keys), tableOf('ARG', 'ARGV', args)].join('\n')
  return {
    name,
    keys,
    args,
    numberOfKeys: keys.length,
    lua: `${prelude}\n${definition.helpers ? HELPERS : ''}${lua}`,
  }
}

/**
 * The `KEYS` and then `ARGV` of a call, each in its declared order.
 *
 * @example
 * ```ts
 * scriptArguments(revokeSessionScript, { keys: { sessions, userAgent }, args: { sessionId } })
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
 * KEYS: sessions, user agent, user. ARGV: sessionId, now ('' for the Redis clock), idleMs,
 * maxAgeMs, userTtlMs, hasUserAgent ('1' or '0'), userAgent, user-agent key prefix, index
 * renewal interval in seconds, maxSessions (0: no bound). Drops the user's dead sessions on
 * the way and, beyond maxSessions, the least recently used live ones, so a user's hash never
 * holds more than maxSessions and every script that reads it is bounded by it; renews the
 * user record's TTL (a login). Returns {the time it decided with, the username when its index
 * is due for renewal (field `x`: when it was last renewed, on the Redis clock) or '', evicted
 * session ids...}.
 */
export const createSessionScript = defineScript({
  name: 'refreshKitCreateSession',
  keys: ['sessions', 'userAgent', 'user'],
  args: [
    'sessionId',
    'now',
    'idleMs',
    'maxAgeMs',
    'userTtlMs',
    'hasUserAgent',
    'userAgent',
    'userAgentPrefix',
    'indexRenewalSeconds',
    'maxSessions',
  ],
  helpers: true,
  lua: `
local now = clock(ARG.now)
local maxSessions = tonumber(ARG.maxSessions)
local fields = redis.call('HGETALL', KEY.sessions)
local live = {}
for j = 1, #fields, 2 do
  local s = unpack36(fields[j + 1])
  if dead(s, now) then
    redis.call('HDEL', KEY.sessions, fields[j])
    redis.call('DEL', ARG.userAgentPrefix .. fields[j])
  else
    live[#live + 1] = {id = fields[j], l = s.l, c = s.c}
  end
end
local out = {int(now), ''}
-- The bound is enforced here, in the login's own atomic step: checked anywhere else, parallel
-- logins would each see room and all be added.
if maxSessions > 0 and #live >= maxSessions then
  -- Least recently used first (last login or refresh), then oldest login, then id.
  table.sort(live, function(x, y)
    if x.l ~= y.l then return x.l < y.l end
    if x.c ~= y.c then return x.c < y.c end
    return x.id < y.id
  end)
  for k = 1, #live - maxSessions + 1 do
    redis.call('HDEL', KEY.sessions, live[k].id)
    redis.call('DEL', ARG.userAgentPrefix .. live[k].id)
    out[#out + 1] = live[k].id
  end
end
local absolute = now + tonumber(ARG.maxAgeMs)
local idle = math.min(now + tonumber(ARG.idleMs), absolute)
local s = {g = 0, c = now, l = now, a = absolute, i = idle, r = now}
redis.call('HSET', KEY.sessions, ARG.sessionId, pack(s))
extend(KEY.sessions, idle - now)
if ARG.hasUserAgent == '1' then
  redis.call('SET', KEY.userAgent, ARG.userAgent, 'PX', int(idle - now))
else
  redis.call('DEL', KEY.userAgent)
end
local username = redis.call('HGET', KEY.user, 'n')
if not username then return out end
redis.call('PEXPIRE', KEY.user, ARG.userTtlMs)
-- The username index is in another slot; ask for its renewal only once per interval.
local second = tonumber(redis.call('TIME')[1])
local renewed = tonumber(redis.call('HGET', KEY.user, 'x') or '0')
if second - renewed < tonumber(ARG.indexRenewalSeconds) then return out end
redis.call('HSET', KEY.user, 'x', int(second))
out[2] = username
return out
`,
})

/**
 * KEYS: sessions, user agent, user. ARGV: sessionId, generation, now ('' for the Redis
 * clock), idleMs, graceMs.
 * Returns {0} invalid, {3} reused, or {1 rotated | 2 grace, packed record, username,
 * user agent}. Check and rotate in one step, or two concurrent refreshes would both rotate.
 * The username comes from the user hash in the same slot, so a refresh stays one round trip
 * without a copy of it in every session; a session whose user record is gone (expired) is
 * dropped before anything is written, as invalid.
 */
export const rotateScript = defineScript({
  name: 'refreshKitRotate',
  keys: ['sessions', 'userAgent', 'user'],
  args: ['sessionId', 'generation', 'now', 'idleMs', 'graceMs'],
  helpers: true,
  lua: `
local packed = redis.call('HGET', KEY.sessions, ARG.sessionId)
if not packed then return {0} end
local s = unpack36(packed)
local generation = tonumber(ARG.generation)
local now = clock(ARG.now)
local function forget()
  redis.call('HDEL', KEY.sessions, ARG.sessionId)
  redis.call('DEL', KEY.userAgent)
end
local username = redis.call('HGET', KEY.user, 'n')
if not username or dead(s, now) then
  forget()
  return {0}
end
local status
if generation == s.g then
  s.g = s.g + 1
  s.r = now
  s.l = now
  s.i = math.min(now + tonumber(ARG.idleMs), s.a)
  packed = pack(s)
  redis.call('HSET', KEY.sessions, ARG.sessionId, packed)
  extend(KEY.sessions, s.i - now)
  redis.call('PEXPIRE', KEY.userAgent, int(s.i - now))
  status = 1
elseif generation > s.g then
  return {0}
elseif generation == s.g - 1 and now - s.r <= tonumber(ARG.graceMs) then
  status = 2
else
  forget()
  return {3}
end
return {status, packed, username, redis.call('GET', KEY.userAgent)}
`,
})

/**
 * KEYS: sessions. ARGV: user-agent key prefix, now ('' for the Redis clock). Drops dead
 * sessions and returns the live ones as a flat list of id, packed record, user agent.
 */
export const listSessionsScript = defineScript({
  name: 'refreshKitListSessions',
  keys: ['sessions'],
  args: ['userAgentPrefix', 'now'],
  helpers: true,
  lua: `
local now = clock(ARG.now)
local fields = redis.call('HGETALL', KEY.sessions)
local out = {}
for j = 1, #fields, 2 do
  local id = fields[j]
  local s = unpack36(fields[j + 1])
  if dead(s, now) then
    redis.call('HDEL', KEY.sessions, id)
    redis.call('DEL', ARG.userAgentPrefix .. id)
  else
    out[#out + 1] = id
    out[#out + 1] = fields[j + 1]
    out[#out + 1] = redis.call('GET', ARG.userAgentPrefix .. id)
  end
end
return out
`,
})
