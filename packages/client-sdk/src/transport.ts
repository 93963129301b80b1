import {
  type LoginRequest,
  REFRESH_TOKEN_TRANSPORT_HEADER,
  type RefreshTokenTransport,
} from '@refresh-kit/shared'

/** A token endpoint whose request depends on the refresh-token transport. */
export type TokenEndpoint = 'login' | 'refresh' | 'logout'

/**
 * What an HTTP binding sends to a token endpoint: the JSON body (none when `undefined`), the
 * headers to add, and whether the browser must send and accept cookies (axios
 * `withCredentials: true`, fetch `credentials: 'include'`). With `credentials: false` the
 * binding leaves its own default alone.
 */
export interface TokenRequest {
  body: Readonly<Record<string, unknown>> | undefined
  headers: Readonly<Record<string, string>>
  credentials: boolean
}

/**
 * The request of a token endpoint for a transport, shared by the HTTP bindings so each one
 * sends the same wire. In `cookie` mode the refresh token never appears: login, refresh and
 * logout send `X-Refresh-Token-Transport: cookie` with credentials, and refresh and logout
 * have no body (the server reads the `HttpOnly` cookie). A login's body is its input as it is:
 * `{ username, password }`, with the body transport also the `deviceToken` of the last login.
 *
 * @example
 * ```ts
 * const request = tokenRequest('cookie', 'refresh')
 * await fetch(refreshUrl, {
 *   method: 'POST',
 *   headers: request.headers,
 *   credentials: request.credentials ? 'include' : 'same-origin',
 * })
 * ```
 */
export function tokenRequest(
  transport: RefreshTokenTransport,
  endpoint: 'login',
  credentials: LoginRequest,
): TokenRequest
export function tokenRequest(
  transport: RefreshTokenTransport,
  endpoint: 'refresh' | 'logout',
  refreshToken?: string,
): TokenRequest
export function tokenRequest(
  transport: RefreshTokenTransport,
  endpoint: TokenEndpoint,
  input?: LoginRequest | string,
): TokenRequest {
  const cookie = transport === 'cookie'
  return {
    body:
      endpoint === 'login'
        ? { ...(input as LoginRequest) }
        : cookie
          ? undefined
          : { refreshToken: input },
    headers: cookie ? { [REFRESH_TOKEN_TRANSPORT_HEADER]: 'cookie' } : {},
    credentials: cookie,
  }
}
