import type { TokenResponse } from '@refresh-kit/shared'
import { rethrow } from '../errors.js'
import type { AccountMethods } from '../lib/account.js'
import { accountMethods } from '../lib/account.js'
import { check } from '../lib/check.js'
import type { AuthPaths } from '../lib/endpoints.js'
import { resolveEndpoints } from '../lib/endpoints.js'
import { isAbsolute, joinURL, parseURL } from '../lib/url.js'
import { isRefreshableAnswer, refreshAndReplay } from '../manager/refresh-decision.js'
import type { TokenManager, TokenManagerOptions } from '../manager/token-manager.js'
import { createTokenManager } from '../manager/token-manager.js'
import { type TokenRequest, tokenRequest } from '../transport.js'
import type { RefreshFunction } from '../types.js'

/** The `init` of an {@link AuthFetch} call: `fetch`'s own, plus `skipAuthRefresh`. */
export interface AuthFetchInit extends RequestInit {
  /**
   * Never refresh for this request: it is sent with the stored token as it is, without
   * waiting for a refresh in flight, and a 401 is returned to the caller.
   * @default false
   */
  skipAuthRefresh?: boolean
}

/** Options of {@link createAuthFetch}; every token-manager option is accepted too. */
export interface AuthFetchOptions extends Omit<TokenManagerOptions, 'refresh'> {
  /** Where the token server lives, e.g. `https://api.example.com` (or `/api` in a browser); a relative request URL is joined to it, as axios does. */
  baseURL: string
  /** Origins that receive the bearer token; a request anywhere else never does. @default [origin of baseURL] */
  authorizedOrigins?: string[]
  /** Token endpoint paths, relative to `baseURL`. @default the ROUTES of @refresh-kit/shared */
  paths?: Partial<AuthPaths>
  /** A refresh for another backend. @default POST `paths.refresh` `{ refreshToken }` expecting a TokenResponse */
  refresh?: RefreshFunction
  /** Which answers refresh and replay. @default a 401 whose body `error` is `token_expired` or `invalid_token` */
  shouldRefresh?: (response: Response) => boolean | Promise<boolean>
  /** The `fetch` to send with (ofetch's, ky's, a test's). @default globalThis.fetch, looked up on each call */
  fetch?: (request: Request) => Promise<Response>
  /** Use this manager (shared with other clients) instead of creating one; the manager options are then ignored. @default a new manager */
  manager?: TokenManager
}

/**
 * A `fetch`-compatible function that carries the bearer to the authorized origins, refreshes
 * before a request inside the leeway, holds requests while a refresh is in flight, and
 * replays (from a clone, body intact) a request that fails with an expired token; plus the
 * client's `login`, `logout`, `sessions`, `getAccessToken`, `on`, ...
 */
export interface AuthFetch extends AccountMethods {
  (input: RequestInfo | URL, init?: AuthFetchInit): Promise<Response>
  /** The resolved token endpoint URLs. */
  endpoints: AuthPaths
}

/** @internal The default `shouldRefresh`: an answer other than 401 is decided without a wait. */
const defaultShouldRefresh = (response: Response): boolean | Promise<boolean> =>
  response.status === 401 &&
  response
    .clone()
    .json()
    .then(
      (body: unknown) => isRefreshableAnswer(response.status, body),
      () => false,
    )

/** Waits for `promise`, but rejects as `fetch` does when the request's own signal aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | null | undefined): Promise<T> {
  if (!signal) return promise
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    if (signal.aborted) onAbort()
    signal.addEventListener('abort', onAbort)
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/**
 * Creates a `fetch` for code that does not use axios (browsers, Node.js, workers), on the
 * same token manager and with the same behaviours as the axios binding.
 *
 * @example
 * ```ts
 * const authFetch = createAuthFetch({ baseURL: 'https://api.example.com' })
 * await authFetch.login({ username: 'ada', password: 'correct horse battery' })
 * const me = await (await authFetch('/auth/me')).json()
 * ```
 */
export function createAuthFetch(options: AuthFetchOptions): AuthFetch {
  const baseURL = options?.baseURL
  check(typeof baseURL === 'string', 'createAuthFetch', 'baseURL')
  const { endpoints, managed } = resolveEndpoints(
    'createAuthFetch',
    baseURL,
    options.authorizedOrigins,
    options.paths,
  )
  const shouldRefresh = options.shouldRefresh ?? defaultShouldRefresh
  check(typeof shouldRefresh === 'function', 'createAuthFetch', 'shouldRefresh')
  const custom = options.fetch
  // A URL and an init go to the global fetch as they are: building a Request here would have
  // it built twice, once here and once inside fetch. A custom fetch takes a Request.
  const send = (input: Request | string, init?: RequestInit): Promise<Response> =>
    custom === undefined
      ? globalThis.fetch(input, init)
      : custom(init === undefined && typeof input !== 'string' ? input : new Request(input, init))

  // A relative URL is joined to baseURL, then resolved as the browser resolves it: where the
  // request goes, and whether it carries the bearer. The answer for a URL that resolves the
  // same on every page (absolute, or rooted) is kept until a `<base href>` moves: a client
  // sends the same few URLs again and again, and parsing one costs more than the rest of
  // what is done here for a request. At most 256 are kept.
  const resolved = new Map<string, [string, boolean]>()
  let page: string | undefined
  const resolve = (input: string): [string, boolean] => {
    const now = (globalThis as { document?: { baseURI?: string } }).document?.baseURI
    if (now !== page || resolved.size > 255) {
      resolved.clear()
      page = now
    }
    let answer = resolved.get(input)
    if (answer === undefined) {
      const url = joinURL(baseURL, input)
      const parsed = parseURL(url)
      const absolute = isAbsolute(url)
      answer = [absolute ? url : (parsed?.href ?? url), managed(parsed)]
      if (absolute || url[0] === '/') resolved.set(input, answer)
    }
    return answer
  }

  // One JSON call through authFetch (the token endpoints never carry the bearer): the answer's
  // body, or an error carrying the answer as axios's does (the manager reads its status and
  // Retry-After). `extra`: the signal, or whether the call takes part in the refresh.
  const call = async <T>(
    method: string,
    url: string,
    body: unknown,
    token: TokenRequest | undefined,
    extra: AuthFetchInit,
  ): Promise<T> => {
    const response = await authFetch(url, {
      method,
      headers: {
        ...token?.headers,
        ...(body !== undefined && { 'Content-Type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      // Cookies only where the refresh cookie is needed.
      ...(token?.credentials && { credentials: 'include' as const }),
      ...extra,
    })
    const data = await response.json().catch(() => null)
    if (!response.ok) {
      const { status, headers } = response
      throw Object.assign(new Error(`HTTP ${status}`), { response: { status, data, headers } })
    }
    return data as T
  }

  const refresh: RefreshFunction =
    options.refresh ??
    ((refreshToken, { signal }) => {
      const request = tokenRequest(options.refreshTokenTransport ?? 'body', 'refresh', refreshToken)
      return call<TokenResponse>('POST', endpoints.refresh, request.body, request, { signal })
    })
  const manager = options.manager ?? createTokenManager({ ...options, refresh })

  const authFetch = async (input: RequestInfo | URL, init?: AuthFetchInit): Promise<Response> => {
    const body = init?.body
    // A Request or a stream: its body can be read once, so it goes through a Request that is
    // kept for a replay, a clone (which tees the body) being sent first. Anything else (a URL,
    // and no body or a string) goes to fetch as it came, and the replay from the same init.
    const request =
      input instanceof Request
        ? init === undefined
          ? input
          : new Request(input, init)
        : (body == null || typeof body === 'string') &&
            (init === undefined || Object.getPrototypeOf(init) === Object.prototype)
          ? undefined
          : new Request(resolve(String(input))[0], init)
    const [url, isManaged] = resolve(request?.url ?? String(input))
    const signal = request?.signal ?? init?.signal
    // Sends with a token; `last`: no replay can follow.
    const sendWith = (token: string | null | undefined, last?: boolean): Promise<Response> => {
      if (request !== undefined) {
        const sent = last ? request : request.clone()
        if (token != null) sent.headers.set('Authorization', `Bearer ${token}`)
        return send(sent)
      }
      if (token == null) return send(url, init)
      const bearer = `Bearer ${token}`
      // A plain object where the request has no headers of its own: fetch takes one for less
      // than a Headers, which it reads through a sorted iterator (a few per cent of a request).
      let headers: HeadersInit = { Authorization: bearer }
      if (init?.headers !== undefined) {
        headers = new Headers(init.headers)
        headers.set('Authorization', bearer)
      }
      return send(url, { ...init, headers })
    }
    if (!isManaged) return sendWith(undefined, true)
    if (init?.skipAuthRefresh) {
      return sendWith((await manager.getTokens())?.accessToken, true)
    }
    const token = await abortable(manager.getAccessToken(), signal)
    const response = await sendWith(token)
    const replayed = await refreshAndReplay(
      manager,
      { sentToken: token, skipAuthRefresh: false, managed: true },
      () => shouldRefresh(response),
      (accessToken) => {
        response.body?.cancel().catch(() => {})
        // The last send: its answer goes to the caller as it is.
        return sendWith(accessToken, true)
      },
      (refresh) => abortable(refresh, signal),
    )
    return replayed ?? response
  }

  const methods = accountMethods(
    manager,
    endpoints,
    <T>(method: string, url: string, body?: unknown, authed?: boolean, token?: TokenRequest) =>
      call<T>(method, url, body, token, { skipAuthRefresh: !authed }).catch(rethrow),
    options.refreshTokenTransport,
  )
  return Object.assign(authFetch, methods, { endpoints })
}
