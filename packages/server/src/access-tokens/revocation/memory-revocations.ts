import type { Clock } from '../../clock.js'
import { checkLifetime, keepFor, keptForSeconds } from './lib/lifetime.js'
import { createRevocationList, sessionEnded } from './revocation-list.js'
import type { AccessTokenRevocations } from './types.js'

/** Options of {@link createMemoryRevocations}. */
export interface MemoryRevocationsOptions {
  /** The access-token lifetime, in seconds (`ACCESS_TOKEN_TTL`): how long a revocation is kept. */
  accessTokenTtlSeconds: number
  /** The leeway access tokens are verified with, in seconds (`CLOCK_TOLERANCE`). */
  clockToleranceSeconds: number
  /** Milliseconds since the epoch. @default Date.now */
  clock?: Clock
}

/**
 * Revocations held in this process only: what the token service uses with the in-memory
 * store (one process, nothing to tell). Ended sessions' access tokens are refused at once.
 *
 * @example
 * ```ts
 * const revocations = createMemoryRevocations({ accessTokenTtlSeconds: 900, clockToleranceSeconds: 5 })
 * const tokens = createAuthService({ ...authSettingsOf(config), store, keys, revocations })
 * ```
 */
export function createMemoryRevocations(options: MemoryRevocationsOptions): AccessTokenRevocations {
  const ttl = options?.accessTokenTtlSeconds
  const tolerance = options?.clockToleranceSeconds
  checkLifetime('createMemoryRevocations', ttl, tolerance)
  const clock = options.clock ?? Date.now
  const list = createRevocationList({ clock })
  return {
    keptForSeconds: keptForSeconds(ttl, tolerance),
    async revoke({ userId, sessionIds, notBefore }) {
      const expiresAt = clock() + keepFor(ttl, tolerance)
      for (const id of sessionIds) list.addSession(id, expiresAt)
      if (notBefore !== undefined) list.addUser(userId, notBefore, expiresAt)
    },
    assertNotRevoked(claims) {
      if (list.isRevoked(claims)) throw sessionEnded()
    },
    ready: async () => {},
    size: () => list.size(),
    close: async () => {},
  }
}
