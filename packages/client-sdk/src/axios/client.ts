import type { AxiosInstance } from 'axios'
import axios from 'axios'
import { rethrow } from '../errors.js'
import type { AccountMethods } from '../lib/account.js'
import { accountMethods } from '../lib/account.js'
import { check } from '../lib/check.js'
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
export interface AuthClient extends AccountMethods {
  /** An axios instance with the token interceptors. */
  http: AxiosInstance
}

/**
 * Creates a client for the token server: login, logout, sessions, and an axios instance that
 * keeps the user signed in across access-token expiry.
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
  const methods = accountMethods(
    manager,
    endpoints,
    (method, url, data, authed, token) =>
      http
        .request({ method, url, data, skipAuthRefresh: !authed, ...(token && tokenConfig(token)) })
        .then((response) => response.data, rethrow),
    options.refreshTokenTransport,
  )
  return { http, ...methods }
}
