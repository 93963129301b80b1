import type {
  CookieTokenResponse,
  Credentials,
  PublicUser,
  RegisterResponse,
  TokenResponse,
} from '@refresh-kit/shared'
import type { AxiosInstance } from 'axios'
import axios from 'axios'
import { toAuthError } from '../errors.js'
import { check } from '../lib/check.js'
import type { TokenManager } from '../manager/token-manager.js'
import { type TokenRequest, tokenRequest } from '../transport.js'
import type { AuthEvents, StoredTokens } from '../types.js'
import type { AttachOptions } from './attach.js'
import { attachTokenRefresh, tokenConfig } from './attach.js'

/** Options of {@link createAuthClient}: every option of {@link attachTokenRefresh}, with `baseURL` required. */
export interface AuthClientOptions extends AttachOptions {
  /** Where the token server lives, e.g. `https://api.example.com`. */
  baseURL: string
  /** An existing axios instance to attach to. @default axios.create({ baseURL }) */
  axios?: AxiosInstance
}

/** A signed-in (or signing-in) user's client: an axios instance that refreshes tokens by itself. */
export interface AuthClient {
  /** An axios instance with the token interceptors. */
  http: AxiosInstance
  /** The token manager, for advanced use. */
  manager: TokenManager
  /** `POST /auth/register`; rejects with an `AuthError` (`user_exists`, `invalid_request`, ...). */
  register(credentials: Credentials): Promise<PublicUser>
  /** `POST /auth/login` and stores the tokens; rejects with an `AuthError` (`invalid_credentials`, `rate_limited`, ...). */
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
  /** A valid access token for fetch, WebSocket or SSE: refreshes first when inside the leeway. */
  getAccessToken(): Promise<string | null>
  /** Whether a refresh token is stored and not expired. */
  isAuthenticated(): Promise<boolean>
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof AuthEvents>(event: E, listener: AuthEvents[E]): () => void
}

/**
 * Creates a client for the token server: login, logout, and an axios instance that keeps the
 * user signed in across access-token expiry.
 *
 * @example
 * ```ts
 * const auth = createAuthClient({ baseURL: 'https://api.example.com' })
 * await auth.login({ username: 'ada', password: 'correct horse battery' })
 * const { data } = await auth.http.get('/auth/me')
 * ```
 */
export function createAuthClient(options: AuthClientOptions): AuthClient {
  check(typeof options?.baseURL === 'string', 'createAuthClient', 'baseURL')
  const http = options.axios ?? axios.create({ baseURL: options.baseURL })
  const { manager, endpoints } = attachTokenRefresh(http, options)
  const transport = options.refreshTokenTransport ?? 'body'
  const post = async <T>(url: string, request: TokenRequest): Promise<T> => {
    try {
      return (await http.post<T>(url, request.body, tokenConfig(request))).data
    } catch (error) {
      throw toAuthError(error)
    }
  }
  return {
    http,
    manager,
    register: async (credentials) =>
      (await post<RegisterResponse>(endpoints.register, tokenRequest('body', 'login', credentials)))
        .user,
    login: async (credentials) =>
      manager.setTokens(
        await post<TokenResponse | CookieTokenResponse>(
          endpoints.login,
          tokenRequest(transport, 'login', credentials),
        ),
      ),
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
    getAccessToken: () => manager.getAccessToken(),
    isAuthenticated: () => manager.isAuthenticated(),
    on: (event, listener) => manager.on(event, listener),
  }
}
