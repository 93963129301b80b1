import type { AuthError } from './errors.js'

/**
 * The tokens the SDK keeps. Expiry times are on the LOCAL clock: the time the tokens were
 * received plus the lifetimes the server announced, so a client clock that is minutes off
 * changes nothing.
 */
export interface StoredTokens {
  accessToken: string
  /** The refresh token; `''` with the cookie transport, where no script can read it. */
  refreshToken: string
  /** Access-token expiry in ms on the local clock (receipt time + `expiresIn`). */
  expiresAt: number
  /** When the access token arrived, in ms on the local clock: the leeway never exceeds half its lifetime. */
  issuedAt?: number
  /** Refresh-token expiry in ms on the local clock (receipt time + `refreshExpiresIn`). */
  refreshExpiresAt: number
}

/**
 * Where the tokens live. Any async key-value adapter fits: memory, `localStorage`,
 * `AsyncStorage`, an encrypted store. Tabs that share the storage share the session.
 *
 * The device token (body transport: what the server answered a login with, sent back at the
 * next login so that this device is not limited with strangers) has a slot of its own,
 * `getDeviceToken`/`setDeviceToken`, which `remove()` leaves alone: it names the device, not
 * the session, so it outlives logouts and expiries. An adapter without them has the client
 * keep it in memory, for as long as the client lives.
 *
 * @example
 * ```ts
 * const storage: TokenStorage = {
 *   get: async () => JSON.parse((await AsyncStorage.getItem('tokens')) ?? 'null'),
 *   set: (tokens) => AsyncStorage.setItem('tokens', JSON.stringify(tokens)),
 *   remove: () => AsyncStorage.removeItem('tokens'),
 *   getDeviceToken: () => AsyncStorage.getItem('device'),
 *   setDeviceToken: (deviceToken) => AsyncStorage.setItem('device', deviceToken),
 * }
 * ```
 */
export interface TokenStorage {
  get(): Promise<StoredTokens | null>
  set(tokens: StoredTokens): Promise<void>
  /** Clears the tokens; the device token stays. */
  remove(): Promise<void>
  /** The device token kept by `setDeviceToken`, or `null`. @default kept in the client's memory */
  getDeviceToken?(): Promise<string | null>
  /** Keeps the device token of the last login, replacing the previous one. @default kept in the client's memory */
  setDeviceToken?(deviceToken: string): Promise<void>
}

/**
 * What a refresh (or login) answer must provide: the reference server's `TokenResponse` fits,
 * and so does any backend's answer once mapped to these fields.
 */
export interface RefreshResult {
  accessToken: string
  /** The rotated refresh token. @default the refresh token that was presented (no rotation) */
  refreshToken?: string
  /** Seconds until the access token expires. */
  expiresIn: number
  /** Seconds until the refresh token expires. @default the previous refresh-token expiry */
  refreshExpiresIn?: number
  /**
   * A login answer's device token (body transport): kept in storage's own slot, and sent
   * back at the next login. Ignored with the cookie transport, where the browser keeps it in
   * an `HttpOnly` cookie. @default none (the device token kept before stays)
   */
  deviceToken?: string
}

/**
 * Exchanges a refresh token for new tokens. Throw an error with an HTTP `response.status`
 * (axios and ky errors have one) or an `AuthError`: 400, 401 and 403 sign the user out (but
 * `403 csrf_rejected`, which keeps the tokens), 408, 429 and 5xx are retried later, and an
 * error without a status counts as a network error.
 *
 * @example
 * ```ts
 * const refresh: RefreshFunction = async (refreshToken, { signal }) => {
 *   const { data } = await axios.post('https://idp.example.com/token',
 *     { grant_type: 'refresh_token', refresh_token: refreshToken }, { signal })
 *   return { accessToken: data.access_token, refreshToken: data.refresh_token, expiresIn: data.expires_in }
 * }
 * ```
 */
export type RefreshFunction = (
  refreshToken: string,
  context: { signal: AbortSignal },
) => Promise<RefreshResult>

/** What caused a refresh: a request inside the leeway, a 401, a direct call, or a page restoring its session from the refresh cookie. */
export type RefreshTrigger = 'proactive' | 'reactive' | 'manual' | 'restore'

/** The events of a client; `on(event, listener)` returns an unsubscribe function. */
export interface AuthEvents {
  /** The stored tokens changed: login, refresh, cleared, or adopted from another tab. */
  tokens: (tokens: StoredTokens | null) => void
  /** A refresh started, or succeeded and released the requests waiting on it. */
  refresh: (
    event:
      | { phase: 'start'; trigger: RefreshTrigger }
      | { phase: 'success'; tokens: StoredTokens; released: number },
  ) => void
  /**
   * A refresh failed and the tokens were kept: transiently (network, timeout, 5xx, 429; the
   * error is `retryable`), or refused with `csrf_rejected` (this page's origin may not use the
   * refresh cookie: a configuration to fix, not an ended session; not `retryable`).
   */
  refreshFailed: (error: AuthError) => void
  /** The refresh token was rejected: tokens were cleared. Emitted once per expiry. */
  sessionExpired: (error: AuthError) => void
  /** The user logged out (here or in another tab). */
  logout: () => void
}

/** What one tab tells the others. */
export type CoordinatorMessage =
  | {
      type: 'tokens'
      /**
       * The tokens themselves, with the cookie transport only (each tab keeps its own in
       * memory, and the refresh token is in none): an access token and expiry times.
       */
      tokens?: StoredTokens
    }
  | { type: 'logout' }
  | { type: 'sessionExpired' }

/**
 * Lets several browser tabs that share storage share one refresh. The manager runs each
 * refresh inside `withRefreshLock`, re-reads storage once it holds the lock, and adopts tokens
 * that another tab already rotated instead of refreshing again.
 */
export interface RefreshCoordinator {
  /** Runs `task` while holding a lock shared by every tab of the origin (Web Locks), with acquire and hold timeouts. */
  withRefreshLock<T>(task: () => Promise<T>): Promise<T>
  /** Tells the other tabs what happened here. */
  publish(message: CoordinatorMessage): void
  /** Listens to the other tabs; returns an unsubscribe. */
  subscribe(listener: (message: CoordinatorMessage) => void): () => void
  close(): void
}
