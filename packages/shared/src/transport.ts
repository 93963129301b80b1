/**
 * The request header by which a client asks for the refresh token in the `HttpOnly` cookie
 * instead of the JSON body, on login, refresh and logout. A request authenticated by the
 * cookie must carry it: a custom header cannot be sent cross-site without a CORS preflight,
 * which is what makes it a CSRF defence.
 *
 * @example
 * ```ts
 * await fetch('/auth/refresh', {
 *   method: 'POST',
 *   credentials: 'include',
 *   headers: { [REFRESH_TOKEN_TRANSPORT_HEADER]: 'cookie' },
 * })
 * ```
 */
export const REFRESH_TOKEN_TRANSPORT_HEADER = 'X-Refresh-Token-Transport'

/**
 * The `HttpOnly` cookie a login in the cookie transport sets: this browser's proof of a
 * successful login of the user, sent back at its next login so that it is not limited with
 * strangers (the body transport carries the same as `deviceToken`).
 */
export const DEVICE_COOKIE_NAME = 'rk_device'

/**
 * How a client wants the refresh token carried: `body` (JSON, the v1 behaviour) or `cookie`
 * (an `HttpOnly` cookie the page cannot read).
 */
export type RefreshTokenTransport = 'body' | 'cookie'

/**
 * The server's `REFRESH_TOKEN_TRANSPORT`: `body`, `cookie` (always the cookie) or `both`
 * (each request chooses with {@link REFRESH_TOKEN_TRANSPORT_HEADER}).
 */
export type ServerRefreshTokenTransport = RefreshTokenTransport | 'both'
