import type { TokenResponse } from '@refresh-kit/shared'
import type {
  AxiosError,
  AxiosInstance,
  AxiosRequestConfig,
  InternalAxiosRequestConfig,
} from 'axios'
import axios from 'axios'
import { AuthError } from '../errors.js'
import { check as checkOption } from '../lib/check.js'
import type { AuthPaths } from '../lib/endpoints.js'
import { resolveEndpoints } from '../lib/endpoints.js'
import { isRefreshableAnswer, refreshAndReplay } from '../manager/refresh-decision.js'
import type { TokenManager, TokenManagerOptions } from '../manager/token-manager.js'
import { createTokenManager } from '../manager/token-manager.js'
import { type TokenRequest, tokenRequest } from '../transport.js'
import type { RefreshFunction } from '../types.js'
import { memoizeByURL } from './url.js'

declare module 'axios' {
  interface AxiosRequestConfig {
    /**
     * Never refresh for this request: it is sent with the stored token as it is, without
     * waiting for a refresh in flight, and a 401 is returned to the caller. Replays are marked so.
     * @default false
     */
    skipAuthRefresh?: boolean
  }
}

/** Options of {@link attachTokenRefresh}; every token-manager option is accepted too. */
export interface AttachOptions extends Omit<TokenManagerOptions, 'refresh'> {
  /** Where the token server lives; relative token paths resolve against it. @default instance.defaults.baseURL */
  baseURL?: string
  /** Origins that receive the bearer token; a request anywhere else never does. @default [origin of baseURL] */
  authorizedOrigins?: string[]
  /** Token endpoint paths, relative to `baseURL`. @default the ROUTES of @refresh-kit/shared */
  paths?: Partial<AuthPaths>
  /**
   * A refresh for another backend. @default POST `paths.refresh` expecting a TokenResponse:
   * `{ refreshToken }`, or with `refreshTokenTransport: 'cookie'` no body, the transport header
   * and credentials
   */
  refresh?: RefreshFunction
  /** Which failed responses refresh and replay. @default a 401 whose body `error` is `token_expired` or `invalid_token` */
  shouldRefresh?: (error: AxiosError) => boolean
  /** Use this manager (shared with other instances) instead of creating one; the manager options are then ignored. @default a new manager */
  manager?: TokenManager
}

/** What {@link attachTokenRefresh} returns. */
export interface TokenRefreshHandle {
  /** The token manager behind the interceptors. */
  manager: TokenManager
  /** The resolved token endpoint URLs. */
  endpoints: AuthPaths
  /** Removes the interceptors (and stops the manager if it was created here). */
  detach(): void
}

/** @internal The default `shouldRefresh`. */
const defaultShouldRefresh = (error: AxiosError): boolean =>
  isRefreshableAnswer(error.response?.status ?? 0, error.response?.data ?? null)

const bearerOf = (config: InternalAxiosRequestConfig): string | undefined =>
  /^Bearer (.+)/.exec(String(config.headers.get('Authorization')))?.[1]

// A Node.js stream or a web ReadableStream: read once, gone.
const isStream = (data: { pipe?: unknown; getReader?: unknown } | null | undefined): boolean =>
  typeof data?.pipe === 'function' || typeof data?.getReader === 'function'

/** Waits for `promise`, but rejects this one request as axios would when its own signal aborts. */
function abortable<T>(promise: Promise<T>, config: InternalAxiosRequestConfig): Promise<T> {
  const signal = config.signal
  if (signal?.addEventListener === undefined) return promise
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new axios.CanceledError(undefined, config))
    if (signal.aborted) onAbort()
    signal.addEventListener?.('abort', onAbort)
    promise.then(resolve, reject).finally(() => signal.removeEventListener?.('abort', onAbort))
  })
}

/**
 * @internal
 * The axios config of a token endpoint request: never refreshed, and cookies only when the
 * refresh cookie is needed (other requests keep the instance's `withCredentials`).
 */
export const tokenConfig = (request: TokenRequest): AxiosRequestConfig => ({
  skipAuthRefresh: true,
  headers: request.headers,
  ...(request.credentials && { withCredentials: true }),
})

/**
 * Installs the token interceptors on an axios instance: the bearer token on requests to the
 * authorized origins, refresh before a request inside the leeway, requests held while a
 * refresh is in flight, and one replay of each request that fails with an expired token.
 *
 * @example
 * ```ts
 * const api = axios.create({ baseURL: 'https://api.example.com' })
 * const { manager } = attachTokenRefresh(api, { storage: localStorageStorage() })
 * await manager.setTokens(loginAnswer)
 * ```
 */
export function attachTokenRefresh(
  instance: AxiosInstance,
  options: AttachOptions = {},
): TokenRefreshHandle {
  const { endpoints, managed: isManaged } = resolveEndpoints(
    'attachTokenRefresh',
    options.baseURL ?? instance?.defaults?.baseURL ?? '',
    options.authorizedOrigins,
    options.paths,
  )
  const check = (ok: boolean, option: string) => checkOption(ok, 'attachTokenRefresh', option)
  const shouldRefresh = options.shouldRefresh ?? defaultShouldRefresh
  check(typeof shouldRefresh === 'function', 'shouldRefresh')
  const transport = options.refreshTokenTransport ?? 'body'
  const refresh: RefreshFunction =
    options.refresh ??
    (async (refreshToken, { signal }) => {
      const request = tokenRequest(transport, 'refresh', refreshToken)
      return (
        await instance.post<TokenResponse>(endpoints.refresh, request.body, {
          ...tokenConfig(request),
          signal,
        })
      ).data
    })
  const manager = options.manager ?? createTokenManager({ ...options, refresh })

  // Only requests to an authorized origin take part; the token endpoints never carry the bearer.
  const managed = memoizeByURL(isManaged)

  // Not an async function: a request that takes no part goes on without a promise of its own.
  const requestId = instance.interceptors.request.use((config) =>
    managed(config)
      ? (config.skipAuthRefresh
          ? manager.getTokens().then((tokens) => tokens?.accessToken)
          : abortable(manager.getAccessToken(), config)
        ).then((token) => {
          if (token != null) config.headers.set('Authorization', `Bearer ${token}`)
          return config
        })
      : config,
  )

  const responseId = instance.interceptors.response.use(undefined, async (error: unknown) => {
    const config = axios.isAxiosError(error) ? error.config : undefined
    const replayed =
      config &&
      (await refreshAndReplay(
        manager,
        {
          sentToken: bearerOf(config),
          skipAuthRefresh: config.skipAuthRefresh,
          managed: managed(config),
        },
        () => {
          if (!shouldRefresh(error as AxiosError)) return false
          if (isStream(config.data)) {
            throw new AuthError('request_not_replayable', { status: 401, cause: error })
          }
          return true
        },
        () => {
          // Flagged: the request interceptor gives it the token as stored, and a second
          // failure is returned as it is.
          config.skipAuthRefresh = true
          return instance.request(config)
        },
        (refresh) => abortable(refresh, config),
      ))
    if (replayed === undefined) throw error
    return replayed
  })

  return {
    manager,
    endpoints,
    detach() {
      instance.interceptors.request.eject(requestId)
      instance.interceptors.response.eject(responseId)
      if (options.manager === undefined) manager.close()
    },
  }
}
