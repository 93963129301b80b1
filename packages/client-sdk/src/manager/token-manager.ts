import { AuthError, isAuthError, retryAfterMs, toAuthError } from '../errors.js'
import { memoryStorage } from '../storage/memory.js'
import type {
  AuthEvents,
  RefreshCoordinator,
  RefreshFunction,
  RefreshResult,
  RefreshTrigger,
  StoredTokens,
  TokenStorage,
} from '../types.js'
import { createEmitter } from './emitter.js'

/** Options of {@link createTokenManager}. Only `refresh` is required. */
export interface TokenManagerOptions {
  /** Exchanges a refresh token for new tokens (the axios binding supplies one for the reference server). */
  refresh: RefreshFunction
  /** Where the tokens live. @default memoryStorage() */
  storage?: TokenStorage
  /** Refresh before a request when the access token expires within this many seconds. @default 30 */
  leewaySeconds?: number
  /** Give up on a refresh that has not answered after this long. @default 10000 */
  refreshTimeoutMs?: number
  /** Wait after a transient refresh failure: exponential with jitter, or the server's `Retry-After`. @default { initialMs: 500, maxMs: 30000 } */
  backoff?: { initialMs?: number; maxMs?: number }
  /** Shares one refresh between browser tabs. @default none */
  coordinator?: RefreshCoordinator
  /** The clock, in ms. @default Date.now */
  now?: () => number
  /** Source of backoff jitter in [0, 1). @default Math.random */
  random?: () => number
}

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
  /** Stores tokens from a login answer (expiry computed on the local clock now) and emits `tokens`. */
  setTokens(result: RefreshResult & { refreshToken: string }): Promise<StoredTokens>
  /** A valid access token: waits for a refresh in flight, refreshes first inside the leeway; `null` when signed out. */
  getAccessToken(): Promise<string | null>
  /** Joins the refresh in flight or starts one. Rejects with an `AuthError`. */
  refresh(options?: RefreshOptions): Promise<StoredTokens>
  /** Whether refresh tokens are stored and not yet expired. */
  isAuthenticated(): Promise<boolean>
  /** Waits until no refresh is in flight (its outcome ignored). */
  settled(): Promise<void>
  /** Clears the tokens, emits `tokens` and `logout`, and tells the other tabs. */
  clear(): Promise<void>
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof AuthEvents>(event: E, listener: AuthEvents[E]): () => void
  /** Stops listening to the coordinator. */
  close(): void
}

interface Flight {
  promise: Promise<StoredTokens>
  waiters: number
}

function check(ok: boolean, option: string, expected: string): void {
  if (!ok) throw new TypeError(`createTokenManager: option \`${option}\` must be ${expected}`)
}

const isMs = (value: number) => Number.isFinite(value) && value >= 0

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
  const leewayMs = (options.leewaySeconds ?? 30) * 1000
  const timeoutMs = options.refreshTimeoutMs ?? 10_000
  const initialMs = options.backoff?.initialMs ?? 500
  const maxMs = options.backoff?.maxMs ?? 30_000
  const coordinator = options.coordinator
  const now = options.now ?? Date.now
  const random = options.random ?? Math.random
  check(typeof refreshFn === 'function', 'refresh', 'a function')
  check(
    typeof storage?.get === 'function' &&
      typeof storage.set === 'function' &&
      typeof storage.remove === 'function',
    'storage',
    'an object with get, set and remove',
  )
  check(isMs(leewayMs), 'leewaySeconds', 'a number >= 0')
  check(isMs(timeoutMs) && timeoutMs > 0, 'refreshTimeoutMs', 'a number > 0')
  check(isMs(initialMs) && isMs(maxMs), 'backoff', '{ initialMs, maxMs } numbers >= 0')
  check(typeof now === 'function', 'now', 'a function')

  const events = createEmitter<AuthEvents>()
  let flight: Flight | null = null
  // Counts flights ever started, so a reader can tell that one began and ended while it awaited storage.
  let started = 0
  let failures = 0
  let retryAt = 0
  let lastError: AuthError | null = null

  const resetBackoff = () => {
    failures = 0
    retryAt = 0
    lastError = null
  }

  const toStored = (result: RefreshResult, previous: StoredTokens | null): StoredTokens => {
    const receivedAt = now()
    const refreshToken = result?.refreshToken ?? previous?.refreshToken
    if (
      typeof result?.accessToken !== 'string' ||
      typeof refreshToken !== 'string' ||
      !Number.isFinite(result.expiresIn)
    ) {
      throw new AuthError('internal_error', {
        message: 'the token answer has no accessToken, refreshToken or expiresIn',
        retryable: true,
      })
    }
    return {
      accessToken: result.accessToken,
      refreshToken,
      expiresAt: receivedAt + result.expiresIn * 1000,
      refreshExpiresAt:
        result.refreshExpiresIn === undefined
          ? (previous?.refreshExpiresAt ?? Number.MAX_SAFE_INTEGER)
          : receivedAt + result.refreshExpiresIn * 1000,
    }
  }

  const callRefresh = async (refreshToken: string): Promise<RefreshResult> => {
    const controller = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      return await Promise.race([
        refreshFn(refreshToken, { signal: controller.signal }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(new AuthError('refresh_timeout', { retryable: true }))
            controller.abort()
          }, timeoutMs)
        }),
      ])
    } finally {
      clearTimeout(timer)
    }
  }

  const expire = async (cause: AuthError | null) => {
    const error = new AuthError('session_expired', {
      ...(cause?.status !== undefined && { status: cause.status }),
      cause,
    })
    resetBackoff()
    await storage.remove()
    events.emit('tokens', null)
    events.emit('sessionExpired', error)
    return error
  }

  // Runs inside the cross-tab lock when there is one: storage is re-read there, because
  // another tab may have rotated the refresh token while this one waited for the lock.
  const rotate = async (intended: string): Promise<StoredTokens> => {
    const stored = await storage.get()
    if (stored === null) throw new AuthError('session_expired')
    if (stored.refreshToken !== intended) {
      events.emit('tokens', stored)
      return stored
    }
    let tokens: StoredTokens
    try {
      tokens = toStored(await callRefresh(stored.refreshToken), stored)
    } catch (thrown) {
      const error = toAuthError(thrown)
      const status = error.status
      if (error.code === 'session_expired' || status === 400 || status === 401 || status === 403) {
        // Before signing out (refresh_token_reused above all): another tab may hold the successor.
        const latest = await storage.get()
        if (latest !== null && latest.refreshToken !== stored.refreshToken) {
          events.emit('tokens', latest)
          return latest
        }
        const expired = await expire(error)
        coordinator?.publish({ type: 'sessionExpired' })
        throw expired
      }
      failures += 1
      const delay = Math.min(maxMs, initialMs * 2 ** (failures - 1))
      // Equal jitter: clients that failed together do not come back together.
      retryAt = now() + Math.max(retryAfterMs(thrown, now()), delay / 2 + (random() * delay) / 2)
      lastError = error
      events.emit('refreshFailed', error)
      throw error
    }
    // Rotation-safe: the successor is stored before any waiting request is released.
    await storage.set(tokens)
    resetBackoff()
    events.emit('tokens', tokens)
    coordinator?.publish({ type: 'tokens' })
    return tokens
  }

  const join = (current: Flight) => {
    current.waiters += 1
    return current.promise
  }

  const run = async (
    current: Flight,
    intended: StoredTokens,
    trigger: RefreshTrigger,
  ): Promise<StoredTokens> => {
    events.emit('refresh', { phase: 'start', trigger })
    try {
      const task = () => rotate(intended.refreshToken)
      const tokens = await (coordinator === undefined ? task() : coordinator.withRefreshLock(task))
      events.emit('refresh', { phase: 'success', tokens, released: current.waiters })
      return tokens
    } catch (error) {
      throw toAuthError(error)
    } finally {
      if (flight === current) flight = null
    }
  }

  const start = (intended: StoredTokens, trigger: RefreshTrigger): Promise<StoredTokens> => {
    if (flight !== null) return join(flight)
    // During backoff, fail fast with the last error instead of storming the server.
    if (lastError !== null && now() < retryAt) return Promise.reject(lastError)
    started += 1
    const current = { waiters: 0 } as Flight
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

  const unsubscribe = coordinator?.subscribe((message) => {
    if (message.type === 'tokens') {
      storage.get().then(
        (tokens) => events.emit('tokens', tokens),
        () => {},
      )
      return
    }
    resetBackoff()
    events.emit('tokens', null)
    if (message.type === 'logout') events.emit('logout')
    else events.emit('sessionExpired', new AuthError('session_expired'))
  })

  return {
    getTokens: () => storage.get(),
    async setTokens(result) {
      const tokens = toStored(result, null)
      await storage.set(tokens)
      resetBackoff()
      events.emit('tokens', tokens)
      coordinator?.publish({ type: 'tokens' })
      return tokens
    },
    async getAccessToken() {
      const current = await snapshot()
      if (isFlight(current)) return (await join(current)).accessToken
      if (current === null) return null
      if (current.expiresAt - leewayMs > now()) return current.accessToken
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
      if (current === null) throw new AuthError('session_expired')
      const stale = refreshOptions.staleAccessToken
      if (stale !== undefined && stale !== current.accessToken) return current
      return start(current, refreshOptions.trigger ?? 'manual')
    },
    async isAuthenticated() {
      const tokens = await storage.get()
      return tokens !== null && tokens.refreshExpiresAt > now()
    },
    async settled() {
      while (flight !== null) await flight.promise.catch(() => {})
    },
    async clear() {
      resetBackoff()
      await storage.remove()
      events.emit('tokens', null)
      events.emit('logout')
      coordinator?.publish({ type: 'logout' })
    },
    on: events.on,
    close: () => unsubscribe?.(),
  }
}
