import type { Clock } from '../clock.js'
import type { Accounts } from '../credentials/accounts.js'
import type { HashQueue } from '../credentials/hash-queue.js'
import type { AbuseLimits } from '../credentials/limits/abuse-limits.js'
import type { KnownDevices } from '../credentials/limits/known-devices.js'
import type { PasswordHasher } from '../credentials/password-hashing.js'
import type { PasswordPolicy } from '../credentials/password-strength.js'
import type { AuthEvents, RequestOrigin } from '../events/auth-events.js'
import type { EndSessions } from '../sessions/end-sessions.js'
import type { RefreshTokenCodec } from '../sessions/refresh-token.js'
import type { TokenIssuer } from '../sessions/token-response.js'
import type { TokenStore } from '../store/types.js'

/** Who is asking and from where, for the events and the security log. */
export interface CallOrigin extends Partial<RequestOrigin> {
  /** The session of the access token that asked, when there is one. */
  sessionId?: string
}

/**
 * What the use cases of the token service work with, built once by `createAuthService`
 * with every setting resolved.
 */
export interface Parts {
  /** The store, its failures reported as `storeError`. */
  store: TokenStore
  accounts: Accounts
  clock: Clock
  events: AuthEvents
  limits: AbuseLimits
  hashQueue: HashQueue
  passwords: PasswordHasher
  passwordPolicy: PasswordPolicy
  devices: KnownDevices
  refreshTokens: RefreshTokenCodec
  tokens: TokenIssuer
  endSessions: EndSessions
  /** Sliding (idle) refresh-token lifetime, seconds. */
  refreshTtlSeconds: number
  /** Absolute session lifetime, seconds. */
  sessionMaxAgeSeconds: number
  /** The reuse grace window after a rotation, seconds. */
  reuseGraceSeconds: number
  /** Sessions per user; `0` sets no bound. */
  maxSessionsPerUser: number
}
