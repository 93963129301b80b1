import { AuthError } from '../errors.js'
import type { StoredTokens } from '../types.js'

/**
 * Where the SDK decides to refresh after a failed request, for every HTTP binding: which
 * answers refresh, which requests may, and how the one replay is kept from looping. The
 * bindings only read their own request and answer; what to do is decided here. And what a
 * failed refresh means: the session ended, or it stays (see {@link refreshFailure}).
 */

/** The server codes of a 401 that a new access token cures. */
const REFRESHABLE: readonly unknown[] = ['token_expired', 'invalid_token']

/**
 * The default rule of which answers refresh: a `401` whose body `error` is `token_expired`
 * or `invalid_token`. Any other 401 (`missing_token`, a refused login) is the caller's.
 *
 * @example
 * ```ts
 * isRefreshableAnswer(401, { error: 'token_expired' }) // true
 * isRefreshableAnswer(403, { error: 'token_expired' }) // false
 * ```
 */
export const isRefreshableAnswer = (status: number, body: unknown): boolean =>
  status === 401 && REFRESHABLE.includes((body as { error?: unknown } | null)?.error)

/** What a binding knows of a request that failed, before it reads the answer. */
export interface FailedRequest {
  /** The access token it was sent with; `null` or `undefined` when it went without one. */
  sentToken: string | null | undefined
  /** Flagged by the caller, or a replay already (replays are sent flagged). */
  skipAuthRefresh: boolean | undefined
  /** Sent to an authorized origin, and not to a token endpoint. */
  managed: boolean
}

/**
 * Whether a failed request may refresh at all, before its answer is judged: only one that
 * carried a bearer to an authorized origin, unflagged. A token endpoint is never managed and
 * a replay is always flagged, so neither a refresh, a login nor a replay can start a loop.
 *
 * @example
 * ```ts
 * mayRefresh({ sentToken: 'at-1', skipAuthRefresh: true, managed: true }) // false: a replay
 * ```
 */
export const mayRefresh = (
  request: FailedRequest,
): request is FailedRequest & { sentToken: string } =>
  request.managed && !request.skipAuthRefresh && typeof request.sentToken === 'string'

/** What {@link refreshAndReplay} needs of the manager. */
export interface Refresher {
  refresh(options: { trigger: 'reactive'; staleAccessToken: string }): Promise<StoredTokens>
}

/**
 * The reactive refresh: when a failed request may refresh ({@link mayRefresh}) and its answer
 * calls for it (`refreshable`, the binding's `shouldRefresh`), joins or starts the one refresh
 * and replays the request once with the new token. A token that was already superseded is not
 * refreshed again: the replay takes the current one. `replay` sends the request flagged
 * `skipAuthRefresh`, so whatever it answers goes to the caller as it is. `wait` waits for the
 * refresh unless the request's own signal aborts first. Resolves `undefined` when the request
 * is not refreshed, so the binding hands the caller the answer it has. A request that cannot
 * be sent again (a consumed stream) is for `refreshable` to refuse, by throwing.
 *
 * @example
 * ```ts
 * const replayed = await refreshAndReplay(
 *   manager,
 *   { sentToken, skipAuthRefresh: false, managed: true },
 *   () => response.status === 401,
 *   (token) => send(request, token),
 *   (refresh) => refresh,
 * )
 * return replayed ?? response
 * ```
 */
export async function refreshAndReplay<T>(
  manager: Refresher,
  request: FailedRequest,
  refreshable: () => boolean | Promise<boolean>,
  replay: (accessToken: string) => Promise<T>,
  wait: (refresh: Promise<StoredTokens>) => Promise<StoredTokens>,
): Promise<T | undefined> {
  if (!mayRefresh(request) || !(await refreshable())) return undefined
  const tokens = await wait(
    manager.refresh({ trigger: 'reactive', staleAccessToken: request.sentToken }),
  )
  return replay(tokens.accessToken)
}

/**
 * What a failed refresh means for the session. `end`: the server refused the refresh token
 * (an answer of 400 to 403, or the manager's own `session_expired`), so the user is signed
 * out. `keep`: the tokens stay. Either the failure was transient (no answer, a timeout, 408,
 * 429, 5xx) and a later request tries again after a backoff, or the server answered
 * `403 csrf_rejected`: it refused the page's origin (or the `Host` a dev proxy rewrote), not
 * the session. The refresh cookie may be perfectly good, and signing out would throw away a
 * session that fixing the configuration brings back.
 *
 * @example
 * ```ts
 * refreshFailure(new AuthError('invalid_refresh_token', { status: 401 })) // 'end'
 * refreshFailure(new AuthError('csrf_rejected', { status: 403 }))         // 'keep'
 * ```
 */
export function refreshFailure({ code, status = 0 }: AuthError): 'end' | 'keep' {
  return code === 'session_expired' || (status >= 400 && status <= 403 && code !== 'csrf_rejected')
    ? 'end'
    : 'keep'
}

/**
 * The error a refresh failure is reported as: a `csrf_rejected` says what to fix, since the
 * usual cause is a page origin the server was not told about, or a dev proxy that rewrites
 * `Host`; anything else as it is.
 */
export function refreshError(error: AuthError): AuthError {
  if (error.code !== 'csrf_rejected') return error
  const origin = (globalThis as { location?: { origin?: string } }).location?.origin
  return new AuthError('csrf_rejected', {
    message: `the token server refused this origin for the refresh cookie (403 csrf_rejected): add this page's origin${origin ? ` (${origin})` : ''} to CORS_ORIGINS, or make your dev proxy keep the Host header (changeOrigin: false)`,
    status: error.status,
    cause: error,
  })
}
