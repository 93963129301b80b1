/**
 * The Redis key layout. Every key of one user carries the hash tag `{u:<userId>}`, so each
 * multi-key script touches a single Cluster slot; only the username index and the rate-limit
 * counters (one key each) live elsewhere.
 *
 * - `<prefix>{u:<userId>}:u` user hash: `n` username, `h` password hash, `c` created at
 * - `<prefix>{u:<userId>}:s` the user's sessions: one hash field per session id, its value
 *   a packed record (see {@link unpackSession})
 * - `<prefix>{u:<userId>}:a:<sessionId>` a session's user agent, when there is one
 * - `<prefix>un:<username>` the user id of a username
 * - `<prefix>rl:<key>` a rate-limit counter
 *
 * One hash per user rather than a hash per session plus an index: a key costs Redis about
 * 100 bytes before its value, and a small hash stays in the compact listpack encoding as
 * long as every value is at most 64 bytes, which a packed record is and a browser's user
 * agent is not (so it gets a key of its own).
 */
export interface RedisKeys {
  user(userId: string): string
  sessions(userId: string): string
  userAgent(userId: string, sessionId: string): string
  /** What a session id is appended to for its user-agent key, for scripts that walk sessions. */
  userAgentPrefix(userId: string): string
  username(username: string): string
  rate(key: string): string
}

/** The key layout under `prefix`. */
export function redisKeys(prefix: string): RedisKeys {
  const tag = (userId: string) => `${prefix}{u:${userId}}`
  return {
    user: (userId) => `${tag(userId)}:u`,
    sessions: (userId) => `${tag(userId)}:s`,
    userAgent: (userId, sessionId) => `${tag(userId)}:a:${sessionId}`,
    userAgentPrefix: (userId) => `${tag(userId)}:a:`,
    username: (username) => `${prefix}un:${username}`,
    rate: (key) => `${prefix}rl:${key}`,
  }
}

/** The numbers of a packed session record, as its scripts write it. */
export interface PackedSession {
  generation: number
  createdAt: number
  lastUsedAt: number
  absoluteExpiresAt: number
  idleExpiresAt: number
  rotatedAt: number
}

/**
 * Reads a packed session record `g:c:l:a:i:r`: the generation and the creation time, then
 * the other four times as offsets from the creation time, all integer milliseconds in base 36.
 * This keeps a record near 40 bytes, well under the 64 that keep a hash compact, and a
 * one-session user's hash in Redis's 80-byte allocation class.
 */
export function unpackSession(packed: string): PackedSession | null {
  const parts = packed.split(':')
  if (parts.length !== 6) return null
  const numbers = parts.map((part) => Number.parseInt(part, 36))
  if (numbers.some((value) => !Number.isSafeInteger(value))) return null
  const [generation = 0, createdAt = 0, lastUsed = 0, absolute = 0, idle = 0, rotated = 0] = numbers
  return {
    generation,
    createdAt,
    lastUsedAt: createdAt + lastUsed,
    absoluteExpiresAt: createdAt + absolute,
    idleExpiresAt: createdAt + idle,
    rotatedAt: createdAt + rotated,
  }
}
