/**
 * The Redis key layout. Every key of one user carries the hash tag `{u:<userId>}`, so each
 * multi-key script touches a single Cluster slot; only the username index, the shared
 * user-agent records and the rate-limit counters (one key each) live elsewhere.
 *
 * - `<prefix>{u:<userId>}:u` user hash: `n` username, `h` password hash, `c` created at
 * - `<prefix>{u:<userId>}:s` the user's sessions: one hash field per session id, its value
 *   a packed record (see {@link unpackSession})
 * - `<prefix>ua:<digest>` a user agent, stored once for every session that sends it and named
 *   by its digest (see `user-agents.ts`); its sessions keep only the digest
 * - `<prefix>un:<username>` the user id of a username
 * - `<prefix>rl:<key>` a rate-limit counter
 *
 * One hash per user rather than a hash per session plus an index: a key costs Redis about
 * 100 bytes before its value, and a small hash stays in the compact listpack encoding as
 * long as every value is at most 64 bytes, which a packed record is and a browser's user
 * agent is not (so it is shared, in a key of its own).
 */
export interface RedisKeys {
  user(userId: string): string
  sessions(userId: string): string
  /** The shared record of the user agent with this digest. */
  sharedUserAgent(digest: string): string
  username(username: string): string
  rate(key: string): string
}

/** The key layout under `prefix`. */
export function redisKeys(prefix: string): RedisKeys {
  const tag = (userId: string) => `${prefix}{u:${userId}}`
  return {
    user: (userId) => `${tag(userId)}:u`,
    sessions: (userId) => `${tag(userId)}:s`,
    sharedUserAgent: (digest) => `${prefix}ua:${digest}`,
    username: (username) => `${prefix}un:${username}`,
    rate: (key) => `${prefix}rl:${key}`,
  }
}

/** The numbers of a packed session record, as its scripts write it, and its user agent's digest. */
export interface PackedSession {
  generation: number
  createdAt: number
  lastUsedAt: number
  absoluteExpiresAt: number
  idleExpiresAt: number
  rotatedAt: number
  /** The shared user-agent record the session names, or `null` when it has no user agent. */
  userAgentDigest: string | null
}

const RECORD =
  /^([0-9a-f]+):([0-9a-f]+):(-?[0-9a-f]+):([0-9a-f]+):(-?[0-9a-f]+)(?:\/([A-Za-z0-9_-]+))?$/

/**
 * Reads a packed session record `g:c:l:a:i`, optionally followed by `/<user-agent digest>`:
 * the generation and the creation time, then the last use and the absolute and idle expiries
 * as offsets from the creation time, all integer milliseconds in hex. The last use is
 * also the start of the grace window: a login and a rotation are the only writes, and each
 * sets both. Hex because the scripts format it in C (`string.format`). This keeps a record at most 53 bytes long with a digest, under the 64 that keep a hash compact.
 */
export function unpackSession(packed: string): PackedSession | null {
  const match = RECORD.exec(packed)
  if (match === null) return null
  const [, generation = '', created = '', lastUsed = '', absolute = '', idle = '', digest] = match
  const numbers = [generation, created, lastUsed, absolute, idle].map((part) =>
    Number.parseInt(part, 16),
  )
  if (numbers.some((value) => !Number.isSafeInteger(value))) return null
  const [g = 0, c = 0, l = 0, a = 0, i = 0] = numbers
  return {
    generation: g,
    createdAt: c,
    lastUsedAt: c + l,
    absoluteExpiresAt: c + a,
    idleExpiresAt: c + i,
    rotatedAt: c + l,
    userAgentDigest: digest ?? null,
  }
}
