import type { Clock } from '../../clock.js'
import { AuthError } from '../../errors.js'
import type { RevocationClaims } from './types.js'

/** Options of {@link createRevocationList}. */
export interface RevocationListOptions {
  /** Milliseconds since the epoch; entries are dropped once past their expiry. @default Date.now */
  clock?: Clock
  /** The least time between two sweeps of expired entries, in ms. @default 10_000 */
  sweepIntervalMs?: number
}

/**
 * The in-memory revocation list every instance holds: ended sessions by id and users'
 * not-before times, each with the time after which no access token it could match is still
 * valid. Lookups are two `Map.get`s; expired entries are swept at most once per
 * `sweepIntervalMs`, on insertion, so memory is bounded by the revocations of one
 * access-token lifetime plus one interval.
 */
export interface RevocationList {
  /** Adds an ended session, refused until `expiresAt` (ms). */
  addSession(sessionId: string, expiresAt: number): void
  /** Refuses the user's tokens with `iat < notBefore` (seconds) until `expiresAt` (ms). */
  addUser(userId: string, notBefore: number, expiresAt: number): void
  /** Whether the token matches an entry that has not expired. */
  isRevoked(claims: RevocationClaims): boolean
  /** Entries held now, the expired ones not yet swept included. */
  size(): { sessions: number; users: number }
  /** Drops every expired entry now. */
  sweep(): void
}

interface UserEntry {
  notBefore: number
  expiresAt: number
}

/**
 * An empty revocation list.
 *
 * @example
 * ```ts
 * const list = createRevocationList()
 * list.addSession(sessionId, Date.now() + 905_000)
 * list.isRevoked({ sub: userId, sid: sessionId, iat }) // true
 * ```
 */
export function createRevocationList(options: RevocationListOptions = {}): RevocationList {
  const clock = options.clock ?? Date.now
  const sweepIntervalMs = options.sweepIntervalMs ?? 10_000
  const sessions = new Map<string, number>()
  const users = new Map<string, UserEntry>()
  let lastSweep = clock()

  const sweep = () => {
    const now = clock()
    lastSweep = now
    for (const [id, expiresAt] of sessions) if (expiresAt <= now) sessions.delete(id)
    for (const [id, entry] of users) if (entry.expiresAt <= now) users.delete(id)
  }
  const maybeSweep = () => {
    if (clock() - lastSweep >= sweepIntervalMs) sweep()
  }

  return {
    addSession(sessionId, expiresAt) {
      maybeSweep()
      if ((sessions.get(sessionId) ?? 0) < expiresAt) sessions.set(sessionId, expiresAt)
    },
    addUser(userId, notBefore, expiresAt) {
      maybeSweep()
      const entry = users.get(userId)
      if (entry === undefined) {
        users.set(userId, { notBefore, expiresAt })
      } else {
        entry.notBefore = Math.max(entry.notBefore, notBefore)
        entry.expiresAt = Math.max(entry.expiresAt, expiresAt)
      }
    },
    isRevoked({ sub, sid, iat }) {
      const session = sessions.get(sid)
      const user = users.get(sub)
      if (session === undefined && user === undefined) return false
      const now = clock()
      if (session !== undefined && session > now) return true
      return user !== undefined && user.expiresAt > now && iat < user.notBefore
    },
    size: () => ({ sessions: sessions.size, users: users.size }),
    sweep,
  }
}

/** The `401 invalid_token` of an access token whose session ended. */
export const sessionEnded = () =>
  new AuthError('invalid_token', 'the session of this access token has ended')
