import type { LimitName } from '../credentials/limits/abuse-limits.js'
import { checkOptions, functionRule } from '../lib/options.js'

/** How a login attempt ended. */
export type LoginOutcome = 'success' | 'invalid_credentials' | 'rate_limited'

/** How a refresh attempt ended. */
export type RefreshOutcome = 'rotated' | 'grace' | 'reused' | 'invalid'

/** Why sessions ended. */
export type SessionEndReason = 'logout' | 'logout_all' | 'revoked' | 'reuse' | 'evicted' | 'expired'

/** Where a request came from, as far as the server knows it. */
export interface RequestOrigin {
  /** The client address (see `TRUST_PROXY`); `null` when the call did not come over HTTP. */
  clientAddress: string | null
}

/** A login attempt; `userId` and `sessionId` are set on success only. */
export interface LoginEvent extends RequestOrigin {
  outcome: LoginOutcome
  /** The username as typed (never the password). */
  username: string
  userId: string | null
  sessionId: string | null
}

/** A refresh attempt; the ids are those the refresh token claims, `null` when it was not readable. */
export interface RefreshEvent extends RequestOrigin {
  outcome: RefreshOutcome
  userId: string | null
  sessionId: string | null
}

/** A rotated refresh token came back after its grace window: its session was revoked. */
export interface ReuseDetectedEvent extends RequestOrigin {
  userId: string
  sessionId: string
}

/** A logout (`all: false`, one session) or a logout-all (`all: true`, every session). */
export interface LogoutEvent extends RequestOrigin {
  all: boolean
  userId: string
  /** The session logged out, or for logout-all the session that asked; `null` when unknown. */
  sessionId: string | null
  /** How many sessions ended (0 for a token that was already revoked). */
  sessions: number
}

/**
 * A failed login (or password change) used the last try of a failure limit: the next tries
 * are refused with `rate_limited` until it resets. Emitted once per lock.
 */
export interface LoginLockedEvent {
  /** The username as typed (never the password). */
  username: string
  /** The user of the username when the token store keeps users, else `null`. */
  userId: string | null
  clientAddress: string
  /** The limits that locked (see `LimitName`). */
  limits: readonly LimitName[]
}

/** Sessions ended, for whatever reason. */
export interface SessionEndedEvent extends RequestOrigin {
  reason: SessionEndReason
  userId: string
  /** The session that ended; `null` when several did at once (see `count`). */
  sessionId: string | null
  /** How many sessions ended. */
  count: number
  /** For `evicted`: the new session whose login ended it. */
  bySessionId?: string
}

/**
 * A user's password was changed (`POST /auth/password`): tell them, through a channel of
 * theirs, so that a change they did not make is noticed. Every other session has ended.
 */
export interface PasswordChangedEvent extends RequestOrigin {
  userId: string
  /** The session that changed it: the one that stays. */
  sessionId: string
  /** How many other sessions ended. */
  sessionsEnded: number
}

/** The token store failed or did not answer in time. */
export interface StoreErrorEvent {
  /** The store operation, e.g. `rotate`. */
  operation: string
  error: unknown
}

/** Every event, by name, with its payload. */
export interface AuthEventMap {
  login: LoginEvent
  loginLocked: LoginLockedEvent
  refresh: RefreshEvent
  reuseDetected: ReuseDetectedEvent
  logout: LogoutEvent
  sessionEnded: SessionEndedEvent
  passwordChanged: PasswordChangedEvent
  storeError: StoreErrorEvent
}

/** The name of an event. */
export type AuthEventName = keyof AuthEventMap

/** A subscriber; what it returns (a promise included) is not awaited by the request. */
export type AuthEventHandler<Name extends AuthEventName> = (
  event: AuthEventMap[Name],
) => void | Promise<void>

/** Options of {@link createAuthEvents}. */
export interface AuthEventsOptions {
  /**
   * Told about a handler that threw or rejected; the request carries on regardless.
   * @default ignores it
   */
  onHandlerError?: (error: unknown, event: AuthEventName) => void
}

/** A typed event bus: the one source of the security log lines, the metrics and your hooks. */
export interface AuthEvents {
  /**
   * Subscribes `handler` to `name`; returns a function that unsubscribes it.
   * A handler that throws or rejects never fails the request that emitted the event.
   */
  on<Name extends AuthEventName>(name: Name, handler: AuthEventHandler<Name>): () => void
  /** Calls every handler of `name`, in subscription order, without waiting for promises. */
  emit<Name extends AuthEventName>(name: Name, event: AuthEventMap[Name]): void
}

/**
 * The events seam: `login`, `loginLocked`, `refresh`, `reuseDetected`, `logout`, `sessionEnded`,
 * `passwordChanged` (and `storeError`), emitted by the token service for audit trails and webhooks. Metrics and the
 * security log subscribe to the same events, so the three always agree.
 *
 * @example
 * ```ts
 * const events = createAuthEvents({ onHandlerError: (err) => logger.error('hook failed', { err }) })
 * events.on('reuseDetected', async ({ userId, clientAddress }) => {
 *   await fetch(webhookUrl, { method: 'POST', body: JSON.stringify({ userId, clientAddress }) })
 * })
 * const auth = createAuthService({ ...settings, store, keys, events })
 * ```
 */
export function createAuthEvents(options: AuthEventsOptions = {}): AuthEvents {
  const { onHandlerError } = checkOptions(
    'createAuthEvents',
    { onHandlerError: options.onHandlerError ?? (() => {}) },
    { onHandlerError: functionRule },
  )
  const handlers = new Map<AuthEventName, Set<(event: never) => void | Promise<void>>>()
  const report = (error: unknown, name: AuthEventName) => {
    try {
      onHandlerError(error, name)
    } catch {
      // A failing error reporter must not fail the request either.
    }
  }
  return {
    on(name, handler) {
      if (typeof handler !== 'function') {
        throw new TypeError(`events.on('${String(name)}'): handler must be a function`)
      }
      let set = handlers.get(name)
      if (set === undefined) {
        set = new Set()
        handlers.set(name, set)
      }
      // A wrapper per subscription, so subscribing the same function twice calls it twice.
      const entry = (event: never) => handler(event)
      set.add(entry)
      return () => {
        set.delete(entry)
      }
    },
    emit(name, event) {
      const set = handlers.get(name)
      if (set === undefined) return
      for (const handler of [...set]) {
        try {
          const result = handler(event as never)
          if (result instanceof Promise) result.catch((error: unknown) => report(error, name))
        } catch (error) {
          report(error, name)
        }
      }
    },
  }
}
