import axios from 'axios'
import { createAuthClient } from '../../src/axios/client.js'
import { createAuthFetch } from '../../src/fetch/client.js'
import type { AccountMethods } from '../../src/lib/account.js'
import type { TokenManagerOptions } from '../../src/manager/token-manager.js'
import type { RefreshFunction } from '../../src/types.js'

/** What a wire case may ask of a request, whichever binding sends it. */
export interface RequestOptions {
  params?: Record<string, string | number>
  headers?: Record<string, string>
  signal?: AbortSignal
  skipAuthRefresh?: boolean
}

/** Any HTTP answer, 2xx or not; a request that got none rejects instead. */
export interface Answer {
  status: number
  data: unknown
  headers: { get(name: string): string | null }
}

/** The options every wire case may pass, common to both bindings. */
export interface CommonOptions extends Omit<TokenManagerOptions, 'refresh'> {
  baseURL: string
  authorizedOrigins?: string[]
  paths?: Record<string, string>
  refresh?: RefreshFunction
  /** Which answers refresh, judged on status and body alone. */
  shouldRefresh?: (status: number, body: unknown) => boolean
}

/** One client of one binding, as the wire cases drive it. */
export interface BoundClient {
  auth: AccountMethods
  request(method: string, url: string, body?: unknown, options?: RequestOptions): Promise<Answer>
  get(url: string, options?: RequestOptions): Promise<Answer>
  post(url: string, body: unknown, options?: RequestOptions): Promise<Answer>
  /** Whether a rejection is the binding's own "aborted by the caller". */
  isAbort(error: unknown): boolean
}

/** A binding under test: the axios interceptors or the fetch function. */
export interface Binding {
  name: 'axios' | 'fetch'
  create(options: CommonOptions): BoundClient
}

const withVerbs = (client: Omit<BoundClient, 'get' | 'post'>): BoundClient => ({
  ...client,
  get: (url, options) => client.request('GET', url, undefined, options),
  post: (url, body, options) => client.request('POST', url, body, options),
})

const axiosBinding: Binding = {
  name: 'axios',
  create({ shouldRefresh, paths, ...options }) {
    const auth = createAuthClient({
      ...options,
      ...(paths && { paths }),
      ...(shouldRefresh && {
        shouldRefresh: (error) =>
          shouldRefresh(error.response?.status ?? 0, error.response?.data ?? null),
      }),
    })
    return withVerbs({
      auth,
      async request(method, url, data, requestOptions = {}) {
        try {
          const answer = await auth.http.request({ method, url, data, ...requestOptions })
          return { status: answer.status, data: answer.data, headers: answer.headers as never }
        } catch (error) {
          if (axios.isAxiosError(error) && error.response !== undefined) {
            const { status, data, headers } = error.response
            return { status, data, headers: headers as never }
          }
          throw error
        }
      },
      isAbort: (error) => axios.isCancel(error),
    })
  },
}

const fetchBinding: Binding = {
  name: 'fetch',
  create({ shouldRefresh, paths, ...options }) {
    const auth = createAuthFetch({
      ...options,
      ...(paths && { paths }),
      ...(shouldRefresh && {
        shouldRefresh: async (response) =>
          shouldRefresh(
            response.status,
            await response
              .clone()
              .json()
              .catch(() => null),
          ),
      }),
    })
    return withVerbs({
      auth,
      async request(method, url, body, { params, headers, signal, skipAuthRefresh } = {}) {
        const query =
          params === undefined
            ? ''
            : `?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))}`
        const response = await auth(`${url}${query}`, {
          method,
          headers: {
            ...(body !== undefined && { 'Content-Type': 'application/json' }),
            ...headers,
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
          ...(signal && { signal }),
          ...(skipAuthRefresh && { skipAuthRefresh }),
        })
        const text = await response.text()
        return {
          status: response.status,
          data: text === '' ? null : JSON.parse(text),
          headers: response.headers,
        }
      },
      isAbort: (error) => error instanceof Error && error.name === 'AbortError',
    })
  },
}

/** Both bindings: every wire case runs against each. */
export const BINDINGS: readonly Binding[] = [axiosBinding, fetchBinding]
