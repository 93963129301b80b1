import type { LimitName } from '../limits/abuse-limits.js'
import type { Logger } from '../logger.js'

/**
 * Something an operator should see: the contract's security events. They never carry a
 * token or a password.
 */
export type SecurityEvent =
  | {
      /** An already-rotated refresh token came back after the grace window: the session is revoked. */
      type: 'refresh_token_reused'
      userId: string
      sessionId: string
      clientAddress: string | null
    }
  | {
      /** A failed login used the last try of a failure limit: the next try is refused. */
      type: 'login_locked'
      /** The user of the username, or `null` when there is none. */
      userId: string | null
      /** The username as typed. */
      username: string
      clientAddress: string
      limits: readonly LimitName[]
    }
  | {
      /** A login beyond `MAX_SESSIONS_PER_USER` ended the user's least recently used session. */
      type: 'session_evicted'
      userId: string
      sessionId: string
      /** The session whose login evicted it. */
      bySessionId: string
      clientAddress: string
    }
  | {
      /** Every session of the user was revoked. */
      type: 'logout_all'
      userId: string
      sessionId: string | null
      clientAddress: string | null
      sessions: number
    }

/** Receives security events. */
export type SecurityEventHandler = (event: SecurityEvent) => void

/**
 * Logs each security event as one line at `warn`.
 *
 * @example
 * ```ts
 * createAuthService({ ...authSettingsOf(config), store, keys, onSecurityEvent: logSecurityEvents(logger) })
 * ```
 */
export function logSecurityEvents(logger: Logger): SecurityEventHandler {
  return (event) => {
    const { type, ...fields } = event
    logger.warn(`security: ${type.replaceAll('_', ' ')}`, { event: type, ...fields })
  }
}
