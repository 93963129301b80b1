import {
  DEFAULT_LEEWAY_SECONDS,
  DEFAULT_REFRESH_BACKOFF_INITIAL_MS,
  DEFAULT_REFRESH_TIMEOUT_MS,
} from '@refresh-kit/shared'
import { AuthError, isAuthError, retryAfterMs, toAuthError } from '../errors.js'
import { check as checkOption } from '../lib/check.js'
import { memoryStorage } from '../storage/memory.js'
import type { AuthEvents, RefreshResult, RefreshTrigger, StoredTokens } from '../types.js'
import { createEmitter } from './emitter.js'
import type { TokenManagerOptions } from './options.js'
import { createRefreshCall } from './refresh-call.js'
import { refreshError, refreshFailure } from './refresh-decision.js'
import { sameSession, toStoredTokens } from './token-answer.js'
import { onWake } from './wake.js'

export type { TokenManagerOptions } from './options.js'

/** Options of {@link TokenManager.refresh}. */
export interface RefreshOptions {
  /** What caused it (reported by the `refresh` event). @default 'manual' */
  trigger?: RefreshTrigger
  /**
   * The access token a failed request was sent with. When the stored token already differs,
   * that token was superseded: the current tokens are returned without a refresh.
   */
  staleAccessToken?: string
}

/** The core of the SDK: storage, expiry, the single refresh flight, events. Knows nothing of HTTP clients. */
export interface TokenManager {
  /** The stored tokens, as they are (no refresh). */
  getTokens(): Promise<StoredTokens | null>
  /**
   * Stores tokens from a login answer (expiry computed on the local clock now) and emits
   * `tokens`; with the body transport, also the answer's `deviceToken`, in storage's slot for it.
   */
  setTokens(result: RefreshResult): Promise<StoredTokens>
  /**
   * The device token of the last login that gave one, to send at the next login; `null` with
   * the cookie transport (the browser keeps it in an `HttpOnly` cookie) or when none was given.
   * Clearing the tokens leaves it: it names the device, not the session.
   */
  deviceToken(): Promise<string | null>
  /**
   * The session after a page load. With the cookie transport and nothing stored, asks the
   * server for an access token once (the refresh cookie authenticates it; one flight, shared
   * with any request that needs a token meanwhile), resolving `null` when there is no session
   * (no `sessionExpired`: nothing was lost). Otherwise the stored tokens, without a request.
   * Also run on first use by `getAccessToken`, `refresh` and `isAuthenticated`.
   * Rejects with a `retryable` `AuthError` when the server could not be reached; the next use tries again.
   * Rejects with `csrf_rejected` (and emits `refreshFailed` with it, never `sessionExpired`)
   * when the server refused this page's origin for the refresh cookie: the message says to add
   * the origin to `CORS_ORIGINS` or to have the dev proxy keep the `Host` header.
   */
  restore(): Promise<StoredTokens | null>
  /** A valid access token: waits for a refresh in flight, refreshes first inside the leeway; `null` when signed out. */
  getAccessToken(): Promise<string | null>
  /**
   * Joins the refresh in flight or starts one. Rejects with an `AuthError`. A refused refresh
   * token signs the user out (`session_expired`); a `403 csrf_rejected` does not: it says the
   * server refused this page's origin for the refresh cookie (or a dev proxy rewrote `Host`),
   * not that the session ended, so the stored tokens are kept and `refreshFailed` is emitted
   * with the error, as for a transient failure. Until the configuration is fixed, every call
   * that needs a refresh rejects with it (within the usual backoff without a request, then
   * after asking the server again).
   */
  refresh(options?: RefreshOptions): Promise<StoredTokens>
  /** Whether refresh tokens are stored and not yet expired. */
  isAuthenticated(): Promise<boolean>
  /** Waits until no refresh is in flight (its outcome ignored). */
  settled(): Promise<void>
  /** Clears the tokens, emits `tokens` and `logout`, and tells the other tabs. */
  clear(): Promise<void>
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof AuthEvents>(event: E, listener: AuthEvents[E]): () => void
  /** Stops listening to the coordinator and to the page's wake-up events. */
  close(): void
}

interface Flight {
  promise: Promise<StoredTokens>
  waiters: number
  /** Restoring a session from the refresh cookie: "no session" is then an answer, not an expiry. */
  restoring: boolean
}

/** A wait for the cross-tab lock longer than this means another tab held it. */
const CONTENDED_MS = 20
/** How long a tab that waited for the lock gives the holder's tokens to reach it. */
const ADOPT_WAIT_MS = 250

/**
 * Creates the token manager: one per user session, no state outside it. Proactive and
 * reactive refresh share its single flight, so however many callers ask at once, one refresh
 * request is sent. Expiry is always re-checked on use; no timer is trusted.
 *
 * @example
 * ```ts
 * const manager = createTokenManager({ refresh: async (refreshToken) => callMyBackend(refreshToken) })
 * const token = await manager.getAccessToken()
 * ```
 */
export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const refreshFn = options.refresh
  const storage = options.storage ?? memoryStorage()
  const leewayMs = (options.leewaySeconds ?? DEFAULT_LEEWAY_SECONDS) * 1000
  const timeoutMs = options.refreshTimeoutMs ?? DEFAULT_REFRESH_TIMEOUT_MS
  const initialMs = options.backoff?.initialMs ?? DEFAULT_REFRESH_BACKOFF_INITIAL_MS
  const maxMs = options.backoff?.maxMs ?? 30_000
  const coordinator = options.coordinator
  const now = options.now ?? Date.now
  const transport = options.refreshTokenTransport ?? 'body'
  const cookie = transport === 'cookie'
  const check = (ok: boolean, option: string) => checkOption(ok, 'createTokenManager', option)
  check(cookie || transport === 'body', 'refreshTokenTransport')
  check(typeof refreshFn === 'function', 'refresh')
  check(typeof storage?.get === 'function', 'storage')
  check(typeof now === 'function', 'now')
  // `x >= 0` is false for NaN and for anything that is not a number.
  check(leewayMs >= 0, 'leewaySeconds')
  check(timeoutMs > 0, 'refreshTimeoutMs')
  check(initialMs >= 0 && maxMs >= 0, 'backoff')

  const events = createEmitter<AuthEvents>()
  let flight: Flight | null = null
  // Counts flights ever started, so a reader can tell that one began and ended while it awaited storage.
  let started = 0
  let failures = 0
  let retryAt = 0
  let lastError: AuthError | null = null
  // Cookie transport: whether this page has asked the server for its session (or needs not).
  let restored = !cookie
  // The device token, where storage has no slot for it.
  let device: string | null = null

  const stored = <T extends StoredTokens | null>(tokens: T): T => {
    restored = true
    failures = retryAt = 0
    lastError = null
    events.emit('tokens', tokens)
    return tokens
  }

  const expired = (cause?: AuthError) =>
    new AuthError('session_expired', { status: cause?.status, cause })

  // Every way out of a session: a local logout, an expiry here, or either one in another tab.
  const signOut = async (
    kind: 'logout' | 'sessionExpired',
    publish: boolean,
    cause?: AuthError,
  ): Promise<AuthError> => {
    const error = expired(cause)
    // With the cookie transport each tab keeps its own tokens: an announcement clears them too.
    if (publish || cookie) await storage.remove()
    stored(null)
    if (kind === 'logout') events.emit('logout')
    else events.emit('sessionExpired', error)
    if (publish) coordinator?.publish({ type: kind })
    return error
  }

  // Dated on the local clock, now that the answer has arrived.
  const toTokens = (result: RefreshResult, previous: StoredTokens | null): StoredTokens =>
    toStoredTokens(result, previous, now(), cookie)

  const save = async (tokens: StoredTokens) => {
    await storage.set(tokens)
    stored(tokens)
    // Cookie transport: the other tabs cannot read this tab's memory, so the tokens travel
    // along (the access token only: the refresh token is in no tab).
    coordinator?.publish(cookie ? { type: 'tokens', tokens } : { type: 'tokens' })
    return tokens
  }

  const same = sameSession
  const callWithRetry = createRefreshCall(refreshFn, timeoutMs, storage)

  // Runs inside the cross-tab lock when there is one: storage is re-read there, because
  // another tab may have rotated the refresh token while this one waited for the lock.
  // `intended` null: restoring a session from the refresh cookie, nothing stored yet.
  const rotate = async (intended: StoredTokens | null, waitedMs: number): Promise<StoredTokens> => {
    // Across tabs, the tab that held the lock before stored its tokens (in shared storage, or
    // announced them to each tab's memory) just before releasing it; the lock, the message and
    // another process's storage write travel apart, so what is already on its way gets its
    // turn before storage is read.
    if (coordinator) await new Promise((resolve) => setTimeout(resolve, 0))
    let current = await storage.get()
    // This tab waited for the lock: another one held it and most likely rotated, and on a
    // loaded machine its tokens can reach this tab well after the lock does. They get a
    // moment to arrive, rather than a second refresh the server answers from its grace.
    const until = Date.now() + ADOPT_WAIT_MS
    while (waitedMs > CONTENDED_MS && same(current, intended) && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      current = await storage.get()
    }
    if (!same(current, intended)) {
      // Signed out meanwhile (here or in another tab): nothing to refresh, nothing new to announce.
      if (current === null) throw expired()
      return stored(current)
    }
    let tokens: StoredTokens | null
    try {
      const answer = await callWithRetry(intended)
      tokens = answer === 'superseded' ? null : toTokens(answer, current)
    } catch (thrown) {
      const error = refreshError(toAuthError(thrown))
      if (refreshFailure(error) === 'end') {
        // Before signing out (refresh_token_reused above all): another tab may hold the successor.
        const latest = await storage.get()
        if (latest !== null && !same(latest, intended)) {
          return stored(latest)
        }
        // No session to restore: nothing was lost, so nothing is announced.
        if (intended === null) {
          restored = true
          throw expired(error)
        }
        throw await signOut('sessionExpired', true, error)
      }
      failures += 1
      const delay = Math.min(maxMs, initialMs * 2 ** (failures - 1))
      // Equal jitter: clients that failed together do not come back together.
      retryAt = now() + Math.max(retryAfterMs(thrown), delay / 2 + (Math.random() * delay) / 2)
      lastError = error
      events.emit('refreshFailed', error)
      throw error
    }
    const latest = await storage.get()
    // Rotation-safe: the successor is stored before any waiting request is released.
    if (tokens !== null && same(latest, intended)) return save(tokens)
    // A logout (here or in another tab) while the refresh was on the wire must not be undone.
    if (latest === null) throw expired()
    return stored(latest)
  }

  const join = (current: Flight) => {
    current.waiters += 1
    return current.promise
  }

  const run = async (
    current: Flight,
    intended: StoredTokens | null,
    trigger: RefreshTrigger,
  ): Promise<StoredTokens> => {
    events.emit('refresh', { phase: 'start', trigger })
    try {
      const asked = Date.now()
      const task = () => rotate(intended, Date.now() - asked)
      const tokens = await (coordinator === undefined ? task() : coordinator.withRefreshLock(task))
      events.emit('refresh', { phase: 'success', tokens, released: current.waiters })
      return tokens
    } catch (error) {
      throw toAuthError(error)
    } finally {
      if (flight === current) flight = null
    }
  }

  const start = (intended: StoredTokens | null, trigger: RefreshTrigger): Promise<StoredTokens> => {
    if (flight !== null) return join(flight)
    // During backoff, fail fast with the last error instead of storming the server.
    if (lastError !== null && now() < retryAt) return Promise.reject(lastError)
    started += 1
    const current = { waiters: 0, restoring: intended === null } as Flight
    flight = current
    current.promise = run(current, intended, trigger)
    return join(current)
  }

  // The stored tokens, or the flight to wait for; re-reads when a flight began and ended meanwhile.
  const snapshot = async (): Promise<StoredTokens | null | Flight> => {
    for (;;) {
      if (flight !== null) return flight
      const before = started
      const tokens = await storage.get()
      if (flight === null && before === started) return tokens
    }
  }

  const isFlight = (value: StoredTokens | Flight | null): value is Flight =>
    value !== null && 'promise' in value

  // Resolves null when there is no session to restore (the server refused).
  const restore = async (): Promise<StoredTokens | null> => {
    const current = await snapshot()
    const joined = isFlight(current)
    if (!joined && (current !== null || restored)) return current
    const promise = joined ? join(current) : start(null, 'restore')
    return !joined || current.restoring
      ? promise.catch((error) => {
          if (isAuthError(error) && error.code === 'session_expired') return null
          throw error
        })
      : promise
  }

  const unsubscribe = coordinator?.subscribe((message) => {
    if (message.type !== 'tokens') signOut(message.type, false)
    else if (cookie && message.tokens !== undefined) {
      // Each tab keeps its own tokens: the announced ones are stored here too.
      const tokens = message.tokens
      storage.set(tokens).then(
        () => stored(tokens),
        () => {},
      )
    } else storage.get().then(stored, () => {})
  })

  // Wake-up: a visible tab or a network back re-checks expiry (failures reach the events).
  const stopWaking =
    options.refreshOnWake !== false
      ? onWake(() => {
          manager.getAccessToken().catch(() => {})
        })
      : undefined

  const manager: TokenManager = {
    getTokens: () => storage.get(),
    async setTokens(result) {
      const tokens = await save(toTokens(result, null))
      const next = result.deviceToken
      // With the cookie transport the browser keeps it, out of every script's reach.
      if (!cookie && typeof next === 'string') {
        device = next
        // One that cannot be kept costs the next login its standing, not this one its session.
        await storage.setDeviceToken?.(next).catch(() => {})
      }
      return tokens
    },
    deviceToken: async () =>
      cookie ? null : storage.getDeviceToken ? storage.getDeviceToken() : device,
    restore,
    async getAccessToken() {
      // The common case without snapshot()'s extra async step: no flight before the read nor
      // after it. Storage is still read on every call: it is the source of truth (another tab,
      // or another client given the same storage, may have signed out or rotated the tokens),
      // so a token kept in memory is never provably current.
      const before = started
      const read = flight ?? (await storage.get())
      const current = flight === null && before === started ? read : await snapshot()
      if (isFlight(current) ? current.restoring : current === null && !restored) {
        return (await restore())?.accessToken ?? null
      }
      if (isFlight(current)) return (await join(current)).accessToken
      if (current === null) return null
      // Half the lifetime at most, or a token shorter-lived than the leeway refreshes every time.
      const leeway = Math.min(leewayMs, (current.expiresAt - (current.issuedAt ?? -8.64e15)) / 2)
      if (current.expiresAt - leeway > now()) return current.accessToken
      try {
        return (await start(current, 'proactive')).accessToken
      } catch (error) {
        // Inside the leeway but not yet expired: a transient failure need not fail the request.
        if (isAuthError(error) && error.retryable && current.expiresAt > now()) {
          return current.accessToken
        }
        throw error
      }
    },
    async refresh(refreshOptions = {}) {
      const current = await snapshot()
      if (isFlight(current)) return join(current)
      if (current === null) {
        const session = restored ? null : await restore()
        if (session === null) throw expired()
        return session
      }
      const stale = refreshOptions.staleAccessToken
      if (stale !== undefined && stale !== current.accessToken) return current
      return start(current, refreshOptions.trigger ?? 'manual')
    },
    async isAuthenticated() {
      // A restore that could not reach the server leaves the answer at "not yet".
      const tokens = restored ? await storage.get() : await restore().catch(() => null)
      return tokens !== null && tokens.refreshExpiresAt > now()
    },
    async settled() {
      while (flight !== null) await flight.promise.catch(() => {})
    },
    clear: async () => {
      await signOut('logout', true)
    },
    on: events.on,
    close: () => {
      unsubscribe?.()
      stopWaking?.()
    },
  }
  return manager
}
