import axios, { type AxiosRequestConfig } from 'axios'
import { createAuthRefresh } from 'axios-auth-refresh'
import type { TokenPair } from '../lib/local-api.js'
import type { BenchClient, ClientFactory } from './types.js'

interface FailedRequest {
  response: { config: AxiosRequestConfig & { headers: Record<string, unknown> } }
}

/**
 * axios-auth-refresh 5 set up as its README recommends: `createAuthRefresh(instance,
 * refreshAuthLogic, options)` (`createAuthRefreshInterceptor` is its deprecated alias), a
 * refresh function that stores the new pair and fixes the failed request's header, and a
 * request interceptor that reads the current token on every request, so stalled requests
 * go out with the new one.
 *
 * @example
 * ```ts
 * const client = await axiosAuthRefresh({ deduplicateRefresh: true }).create(api.baseURL)
 * ```
 */
export function axiosAuthRefresh(options: { deduplicateRefresh: boolean }): ClientFactory {
  return {
    name: `axios-auth-refresh (deduplicateRefresh: ${options.deduplicateRefresh})`,
    async create(baseURL): Promise<BenchClient> {
      // A separate instance for the refresh call, so it never meets the interceptor.
      const plain = axios.create({ baseURL })
      const { data } = await plain.post<TokenPair>('/auth/login', {
        username: 'bench',
        password: 'bench-password',
      })
      let tokens: TokenPair = data

      const http = axios.create({ baseURL })
      const refreshAuthLogic = async (failedRequest: FailedRequest) => {
        const response = await plain.post<TokenPair>('/auth/refresh', {
          refreshToken: tokens.refreshToken,
        })
        tokens = response.data
        failedRequest.response.config.headers.Authorization = `Bearer ${tokens.accessToken}`
      }
      // Its declarations are CommonJS, so they name axios's CommonJS types: the same runtime
      // instance, a different declaration file.
      const instance = http as unknown as Parameters<typeof createAuthRefresh>[0]
      createAuthRefresh(instance, refreshAuthLogic, {
        deduplicateRefresh: options.deduplicateRefresh,
      })
      http.interceptors.request.use((config) => {
        config.headers.Authorization = `Bearer ${tokens.accessToken}`
        return config
      })
      return {
        me: async () => {
          await http.get('/auth/me')
        },
        close: () => {},
      }
    },
  }
}
