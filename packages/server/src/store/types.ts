/**
 * The token store: everything the server keeps between requests. Two implementations pass
 * one contract test suite: the Redis store (production) and the in-memory store (zero-setup
 * development, single process). Times are milliseconds since the epoch, passed in by the
 * caller so that tests move a clock instead of sleeping.
 */

/** A registered user. */
export interface UserRecord {
  id: string
  username: string
  /** The encoded password hash, parameters included (see the password module). */
  passwordHash: string
  createdAt: number
  /**
   * How many times the password was changed ({@link TokenStore.setPasswordHash} without
   * `rehashOf`): a login names the version it verified, and its session is created only if
   * that is still the version (see {@link CreateSessionInput.passwordVersion}). @default 0
   */
  passwordVersion?: number
}

/** A session: one token family, created by a login and rotated by every refresh. */
export interface SessionRecord {
  id: string
  userId: string
  /** Login time. */
  createdAt: number
  /** Last login or refresh. */
  lastUsedAt: number
  /** Absolute expiry: `createdAt + sessionMaxAge`; no refresh extends it. */
  absoluteExpiresAt: number
  /** Idle expiry: `lastUsedAt + refreshTtl`, capped by `absoluteExpiresAt`. */
  idleExpiresAt: number
  /** The generation of the one refresh token that rotates now; 0 after login. */
  generation: number
  /** When the current generation was issued (the start of the reuse grace window). */
  rotatedAt: number
  userAgent: string | null
}

/** Input of {@link TokenStore.createSession}. */
export interface CreateSessionInput {
  userId: string
  sessionId: string
  userAgent: string | null
  now: number
  /** Sliding (idle) lifetime in seconds. */
  idleTtlSeconds: number
  /** Absolute lifetime in seconds, from login. */
  maxAgeSeconds: number
  /**
   * Sessions the user may hold, this one included: beyond it the least recently used ones
   * end, in the same atomic step. `0` (or absent) sets no bound.
   * @default 0
   */
  maxSessions?: number
  /**
   * The user's {@link UserRecord.passwordVersion} that the login verified: the session is
   * created only while it still is the user's, checked in the same atomic step, so that a
   * login that verified the old password and completes after a change leaves no session.
   * Absent: not checked.
   */
  passwordVersion?: number
}

/** A new session, and the sessions its login ended to stay within `maxSessions`. */
export interface CreatedSession extends SessionRecord {
  /** Ids of the least recently used sessions the login ended, oldest first. */
  evictedSessionIds: string[]
}

/** Input of {@link TokenStore.rotate}: what a presented refresh token claims. */
export interface RotateInput {
  userId: string
  sessionId: string
  /** The generation the presented token carries. */
  generation: number
  now: number
  idleTtlSeconds: number
  /** Seconds after a rotation during which the immediately previous token gets the same successor. */
  graceSeconds: number
}

/**
 * Outcome of one atomic rotation:
 * - `rotated`: the presented generation was current; `session.generation` is now one higher.
 * - `grace`: the presented token is the immediately previous one and the rotation happened
 *   within the grace window; nothing changes and `session.generation` is the successor's.
 * - `reused`: an older generation, or the previous one after the window: the session is gone.
 * - `invalid`: no such session (unknown, revoked, idle or absolutely expired), a generation
 *   the session never issued, or a session whose user record is gone (the session is then
 *   ended, never rotated).
 *
 * `rotated` and `grace` carry the user's current `username`, read in the same atomic step
 * (the same round trip on Redis), so that a new access token needs no second lookup.
 *
 * @example
 * ```ts
 * const result = await store.rotate({ userId, sessionId, generation, now, idleTtlSeconds, graceSeconds })
 * if (result.status === 'rotated' || result.status === 'grace') {
 *   issueTokens(result.session, result.username)
 * }
 * ```
 */
/**
 * A session as a rotation leaves it: everything but its user agent, which a refresh never
 * needs, so the rotation reads nothing beyond the session and its user.
 */
export type RotatedSession = Omit<SessionRecord, 'userAgent'>

export type RotateResult =
  | { status: 'rotated'; session: RotatedSession; username: string }
  | { status: 'grace'; session: RotatedSession; username: string }
  | { status: 'reused' }
  | { status: 'invalid' }

/**
 * Every operation the server needs from storage. Implementations throw
 * `StoreUnavailableError` (see `errors.ts`) when the backing service cannot be reached in time, and
 * nothing else for operational failures.
 */
export interface TokenStore {
  /**
   * Adds a user; `false` when the username is taken in any case (`Alice` when `alice`
   * exists). The record keeps the name as given.
   */
  createUser(user: UserRecord): Promise<boolean>
  /** The user of a username in any case. */
  findUserByUsername(username: string): Promise<UserRecord | null>
  findUserById(id: string): Promise<UserRecord | null>

  /**
   * Creates a session at generation 0, ending the user's least recently used sessions
   * beyond `maxSessions` in the same atomic step (one script on Redis), so that no number
   * of parallel logins leaves the user with more.
   * @throws AuthError `invalid_credentials`, with nothing changed, when `passwordVersion` is
   *   given and the user's password has changed since (or the user is gone).
   */
  createSession(input: CreateSessionInput): Promise<CreatedSession>
  /**
   * Checks and rotates in one atomic step (one round trip on Redis), reading the user's
   * username in the same step; a session whose user record is gone is ended as `invalid`.
   */
  rotate(input: RotateInput): Promise<RotateResult>
  /** A live session of the user, or `null`. */
  getSession(userId: string, sessionId: string, now: number): Promise<SessionRecord | null>
  /** The user's live sessions, newest first; expired ones are pruned on the way. */
  listSessions(userId: string, now: number): Promise<SessionRecord[]>
  /** Revokes one session; `false` when the user had no such session. */
  revokeSession(userId: string, sessionId: string): Promise<boolean>
  /**
   * Revokes every session of the user but `exceptSessionId` (when given); returns the ids of
   * the sessions it ended, so that their access tokens can be revoked too.
   */
  revokeAllSessions(userId: string, exceptSessionId?: string): Promise<string[]>
  /**
   * Replaces the user's password hash; `false` when there is no such user. A change of
   * password counts up {@link UserRecord.passwordVersion}. With `rehashOf`, the same password
   * hashed with stronger parameters: replaced only while the hash is still `rehashOf`, and
   * the version stays (sessions of the password are still the password's).
   */
  setPasswordHash(
    userId: string,
    passwordHash: string,
    options?: { rehashOf?: string },
  ): Promise<boolean>

  /** Resolves when the store answers; throws `StoreUnavailableError` (see `errors.ts`) otherwise. */
  ping(): Promise<void>
  /** Releases what the store itself opened (never a client it was given). */
  close(): Promise<void>
}
