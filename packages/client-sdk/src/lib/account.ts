import type {
  ChangePasswordRequest,
  CookieTokenResponse,
  Credentials,
  PublicUser,
  RefreshTokenTransport,
  RegisterResponse,
  SessionInfo,
  SessionListResponse,
  TokenResponse,
} from '@refresh-kit/shared'
import type { TokenManager } from '../manager/token-manager.js'
import { type TokenRequest, tokenRequest } from '../transport.js'
import type { AuthEvents, StoredTokens } from '../types.js'
import type { AuthPaths } from './endpoints.js'

/**
 * Sends one JSON request and resolves with the answer's body; rejects with an `AuthError`.
 * `authed` requests go through the binding (bearer, refresh, replay); the others never do.
 * `token`: a token endpoint's request, whose headers and credentials the binding adds.
 */
export type Send = <T>(
  method: string,
  url: string,
  body?: unknown,
  authed?: boolean,
  token?: TokenRequest,
) => Promise<T>

/**
 * What every client of the SDK offers, whichever HTTP client it is built on: the axios
 * client and the fetch function both have these.
 *
 * @example
 * ```ts
 * async function signOutEverywhere(auth: AccountMethods) {
 *   await auth.logoutAll()
 * }
 * ```
 */
export interface AccountMethods {
  /** The token manager, for advanced use. */
  manager: TokenManager
  /** `POST /auth/register`; rejects with an `AuthError` (`user_exists`, `invalid_request`, ...). */
  register(credentials: Credentials): Promise<PublicUser>
  /**
   * `POST /auth/login` and stores the tokens; rejects with an `AuthError` (`invalid_credentials`,
   * `rate_limited`, ...). With the body transport it sends the device token of the last login
   * and keeps the one the answer brings (storage's `setDeviceToken`), so the server does not
   * limit this device with strangers; with the cookie transport the browser does both with
   * the `HttpOnly` `rk_device` cookie.
   */
  login(credentials: Credentials): Promise<StoredTokens>
  /** `POST /auth/logout` (best effort), clears storage, emits `logout`. */
  logout(): Promise<void>
  /**
   * Picks up the session after a page load: with `refreshTokenTransport: 'cookie'`, asks
   * `/auth/refresh` for an access token (the `HttpOnly` cookie authenticates it); resolves
   * `null` when there is no session. Runs by itself on first use; call it at start-up to
   * know at once whether the user is signed in.
   */
  restore(): Promise<StoredTokens | null>
  /** `POST /auth/logout-all`: ends every session of the user, then clears storage here. Rejects, keeping the tokens, when the server did not confirm. */
  logoutAll(): Promise<void>
  /** `GET /auth/sessions`: the user's sessions, `current` marking this one. */
  sessions(): Promise<SessionInfo[]>
  /** `DELETE /auth/sessions/:id`: ends one session; ending this client's own signs it out here too. */
  revokeSession(id: string): Promise<void>
  /**
   * `POST /auth/password` with the bearer (refreshed first when needed): changes the user's
   * password and ends every other session of the user; this one stays signed in. Rejects with
   * an `AuthError`: `invalid_credentials` for a wrong current password (it counts as a failed
   * login), `invalid_request` with `details` for a new password the server refuses (too short,
   * common or guessable), `rate_limited` with `retryAfter`. The error holds neither password
   * nor any token, however it is printed.
   *
   * @example
   * ```ts
   * try {
   *   await auth.changePassword({ currentPassword, newPassword })
   * } catch (error) {
   *   if (isAuthError(error) && error.code === 'invalid_request') showProblems(error.details)
   *   else throw error
   * }
   * ```
   */
  changePassword(passwords: ChangePasswordRequest): Promise<void>
  /** A valid access token for fetch, WebSocket or SSE: refreshes first when inside the leeway. */
  getAccessToken(): Promise<string | null>
  /** Whether a refresh token is stored and not expired. */
  isAuthenticated(): Promise<boolean>
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof AuthEvents>(event: E, listener: AuthEvents[E]): () => void
}

// The session id of an access token (its `sid` claim), without verifying it: only compared.
const sessionOf = (token: string | undefined): unknown => {
  try {
    const part = (token ?? '').split('.')[1] ?? ''
    return JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))).sid
  } catch {
    return undefined
  }
}

/** The account methods of a client, over the binding's `send`. */
export function accountMethods(
  manager: TokenManager,
  endpoints: AuthPaths,
  send: Send,
  transport: RefreshTokenTransport = 'body',
): AccountMethods {
  const post = <T>(url: string, request: TokenRequest) =>
    send<T>('POST', url, request.body, false, request)
  return {
    manager,
    register: async (credentials) =>
      (await send<RegisterResponse>('POST', endpoints.register, credentials)).user,
    async login(credentials) {
      const deviceToken = await manager.deviceToken()
      return manager.setTokens(
        await post<TokenResponse | CookieTokenResponse>(
          endpoints.login,
          tokenRequest(
            transport,
            'login',
            deviceToken ? { ...credentials, deviceToken } : credentials,
          ),
        ),
      )
    },
    async logout() {
      // A refresh in flight would store a successor that the logout below does not revoke.
      await manager.settled()
      const tokens = await manager.getTokens()
      // The cookie is sent whatever this page holds: the server revokes it and clears it.
      if (tokens !== null || transport === 'cookie') {
        await post(
          endpoints.logout,
          tokenRequest(transport, 'logout', tokens?.refreshToken ?? ''),
        ).catch(() => {})
      }
      await manager.clear()
    },
    restore: () => manager.restore(),
    async logoutAll() {
      await send('POST', endpoints.logoutAll, undefined, true)
      await manager.clear()
    },
    sessions: async () =>
      (await send<SessionListResponse>('GET', endpoints.sessions, undefined, true)).sessions,
    async revokeSession(id) {
      await send('DELETE', `${endpoints.sessions}/${encodeURIComponent(id)}`, undefined, true)
      if (sessionOf((await manager.getTokens())?.accessToken) === id) await manager.clear()
    },
    async changePassword({ currentPassword, newPassword }) {
      // Only the two fields: nothing else the caller's object holds is sent.
      await send('POST', endpoints.password, { currentPassword, newPassword }, true)
    },
    getAccessToken: () => manager.getAccessToken(),
    isAuthenticated: () => manager.isAuthenticated(),
    on: (event, listener) => manager.on(event, listener),
  }
}
