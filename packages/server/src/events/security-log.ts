import type { Logger } from '../logger.js'
import type { AuthEvents } from './auth-events.js'

/**
 * Writes the security events as one `warn` line each, with an `event` field to filter on,
 * the user id, session id and client address, and never a token or a password:
 * `refresh_token_reused`, `login_locked`, `session_evicted`, `logout_all`, `password_changed`.
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
    // Once per lock, not per refused try: a flood of refused logins writes no flood of lines.
    events.on('loginLocked', ({ username, userId, clientAddress, limits }) =>
      logger.warn('login locked: too many failed attempts', {
        event: 'login_locked',
        username,
        userId,
        sessionId: null,
        clientAddress,
        limits,
      }),
    ),
    events.on('sessionEnded', ({ reason, userId, sessionId, bySessionId, clientAddress }) => {
      if (reason !== 'evicted') return
      logger.warn('session evicted: the user reached the session limit', {
        event: 'session_evicted',
        userId,
        sessionId,
        bySessionId: bySessionId ?? null,
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
    events.on('passwordChanged', ({ userId, sessionId, sessionsEnded, clientAddress }) =>
      logger.warn('the password was changed; every other session ended', {
        event: 'password_changed',
        userId,
        sessionId,
        sessions: sessionsEnded,
        clientAddress,
      }),
    ),
  ]
  return () => {
    for (const stop of off) stop()
  }
}
