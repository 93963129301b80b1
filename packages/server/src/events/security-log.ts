import type { Logger } from '../logger.js'
import type { AuthEvents } from './auth-events.js'

/**
 * Writes the security events as one `warn` line each, with an `event` field to filter on,
 * the user id, session id and client address, and never a token or a password:
 * `refresh_token_reused`, `login_locked`, `session_evicted`, `logout_all`.
 * Returns a function that stops logging.
 *
 * @example
 * ```ts
 * logSecurityEvents(auth.events, logger)
 * ```
 */
export function logSecurityEvents(events: AuthEvents, logger: Logger): () => void {
  const off = [
    events.on('reuseDetected', ({ userId, sessionId, clientAddress }) =>
      logger.warn('refresh token reuse detected; the session was revoked', {
        event: 'refresh_token_reused',
        userId,
        sessionId,
        clientAddress,
      }),
    ),
    events.on('login', ({ outcome, username, clientAddress }) => {
      if (outcome !== 'rate_limited') return
      logger.warn('login locked: too many failed attempts', {
        event: 'login_locked',
        username,
        userId: null,
        sessionId: null,
        clientAddress,
      })
    }),
    events.on('sessionEnded', ({ reason, userId, sessionId, clientAddress }) => {
      if (reason !== 'evicted') return
      logger.warn('session evicted: the user reached the session limit', {
        event: 'session_evicted',
        userId,
        sessionId,
        clientAddress,
      })
    }),
    events.on('logout', ({ all, userId, sessionId, sessions, clientAddress }) => {
      if (!all) return
      logger.warn('every session of the user was logged out', {
        event: 'logout_all',
        userId,
        sessionId,
        sessions,
        clientAddress,
      })
    }),
  ]
  return () => {
    for (const stop of off) stop()
  }
}
