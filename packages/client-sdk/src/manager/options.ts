import type { RefreshTokenTransport } from '@refresh-kit/shared'
import type { RefreshCoordinator, RefreshFunction, TokenStorage } from '../types.js'

/** Options of {@link createTokenManager}. Only `refresh` is required. */
export interface TokenManagerOptions {
  /** Exchanges a refresh token for new tokens (the axios binding supplies one for the reference server). */
  refresh: RefreshFunction
  /** Where the tokens live. @default memoryStorage() */
  storage?: TokenStorage
  /**
   * Where the refresh token lives. `cookie`: in the server's `HttpOnly` cookie, never in
   * JavaScript. Storage then holds the access token alone (`refreshToken` is `''`), `refresh`
   * is called with `''`, a page that starts without tokens asks the server once
   * ({@link TokenManager.restore}), and tabs hand each other the access token over the
   * coordinator, since each keeps its own in memory.
   * @default 'body'
   */
  refreshTokenTransport?: RefreshTokenTransport
  /**
   * Refresh before a request when the access token expires within this many seconds, but
   * never earlier than halfway through its lifetime: a token that lives less than twice the
   * leeway is still used for its first half instead of refreshing on every request.
   * @default 30
   */
  leewaySeconds?: number
  /**
   * Give up on a refresh that has not answered after this long. A refresh that timed out or
   * lost its connection is retried once at once; with the default, that retry reaches the
   * server within 10 s of the rotation it repeats, inside the server's default 30 s reuse
   * grace window, so a lost answer never signs the user out. Keep twice this value below the
   * server's `REFRESH_REUSE_GRACE`. @default 5000
   */
  refreshTimeoutMs?: number
  /** Wait after a transient refresh failure: exponential with jitter, or the server's `Retry-After`. @default { initialMs: 500, maxMs: 30000 } */
  backoff?: { initialMs?: number; maxMs?: number }
  /** Shares one refresh between browser tabs. @default none */
  coordinator?: RefreshCoordinator
  /** The clock, in ms. @default Date.now */
  now?: () => number
  /**
   * In browsers, re-check expiry when the tab becomes visible or the device comes back online,
   * and refresh inside the leeway before the app's next request needs it. Timers do not run
   * while a laptop sleeps or a tab is frozen; these events do fire after.
   * @default true
   */
  refreshOnWake?: boolean
}
