import type { AccessTokenClaims } from '@refresh-kit/shared'

/**
 * Sessions that just ended, as the token service reports them to
 * {@link AccessTokenRevocations.revoke}: the ids of the sessions, and for "every session of
 * the user" also a not-before time, so that an access token the user got before it is
 * refused even when its session was already gone from the store.
 */
export interface EndedSessions {
  /** Whose sessions ended. */
  userId: string
  /** The ids of the sessions that ended; may be empty when `notBefore` is set. */
  sessionIds: readonly string[]
  /**
   * Every access token of the user issued in an earlier second (`iat < notBefore`) is
   * refused. Tokens of the same second are matched by their session id instead, so a login
   * right after a logout-all keeps its token. Seconds since the epoch. @default none
   */
  notBefore?: number
}

/** The claims a revocation check reads from a verified access token. */
export type RevocationClaims = Pick<AccessTokenClaims, 'sub' | 'sid' | 'iat'>

/**
 * Refuses the access tokens of ended sessions without a store call: a revocation list held
 * in memory, filled by this process and, with Redis, by every other instance.
 */
export interface RevocationCheck {
  /**
   * Throws when the token's session ended: `AuthError('invalid_token')` whose message says
   * so, or `AuthError('service_unavailable')` while the recorded revocations have never been
   * loaded (a start without Redis), since the token may belong to an ended session. Synchronous.
   */
  assertNotRevoked(claims: RevocationClaims): void
  /** Resolves once the recorded revocations have been loaded the first time. */
  ready(): Promise<void>
  /** How many sessions and users the list holds now. */
  size(): { sessions: number; users: number }
  /** Releases what the check opened (a subscriber connection), never a client it was given. */
  close(): Promise<void>
}

/**
 * What the token service records every ended session with: in memory, or in Redis and
 * published to every instance.
 */
export interface AccessTokenRevocations extends RevocationCheck {
  /**
   * Records ended sessions for the access-token lifetime and tells every instance. Resolves
   * once recorded; rejects with `StoreUnavailableError` when Redis cannot be reached.
   */
  revoke(ended: EndedSessions): Promise<void>
  /**
   * How long a revocation is kept, in seconds: the access-token lifetime plus the clock
   * tolerance the revocations were built with. `createAuthService` refuses revocations that
   * keep theirs for less than its own access tokens are accepted, which would let an ended
   * session's access tokens back in. @default unknown: not checked
   */
  readonly keptForSeconds?: number
}
