/**
 * The Redis key layout. Every key of one user carries the hash tag `{u:<userId>}`, so each
 * multi-key script touches a single Cluster slot; only the username index and the rate-limit
 * counters (one key each) live elsewhere.
 *
 * - `<prefix>{u:<userId>}:u` user hash: `n` username, `h` password hash, `c` created at
 * - `<prefix>{u:<userId>}:s:<sessionId>` session hash (fields in {@link SESSION_FIELDS})
 * - `<prefix>{u:<userId>}:ss` sorted set of the user's session ids, scored by idle expiry
 * - `<prefix>un:<username>` the user id of a username
 * - `<prefix>rl:<key>` a rate-limit counter
 */
export interface RedisKeys {
  user(userId: string): string
  session(userId: string, sessionId: string): string
  /** What a session id is appended to, for scripts that walk the sorted set. */
  sessionPrefix(userId: string): string
  sessions(userId: string): string
  username(username: string): string
  rate(key: string): string
}

/**
 * Session hash fields, short to keep a session small, in the order scripts return them:
 * created at, last used at, absolute expiry, idle expiry, generation, rotated at, user agent
 * (absent when unknown). Times are integers in milliseconds.
 */
export const SESSION_FIELDS = ['c', 'l', 'a', 'i', 'g', 'r', 'u'] as const

/** The key layout under `prefix`. */
export function redisKeys(prefix: string): RedisKeys {
  const tag = (userId: string) => `${prefix}{u:${userId}}`
  return {
    user: (userId) => `${tag(userId)}:u`,
    session: (userId, sessionId) => `${tag(userId)}:s:${sessionId}`,
    sessionPrefix: (userId) => `${tag(userId)}:s:`,
    sessions: (userId) => `${tag(userId)}:ss`,
    username: (username) => `${prefix}un:${username}`,
    rate: (key) => `${prefix}rl:${key}`,
  }
}
