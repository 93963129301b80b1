import { AuthError, toAuthError } from '../errors.js'
import type { RefreshFunction, RefreshResult, StoredTokens, TokenStorage } from '../types.js'
import { sameSession } from './token-answer.js'

/**
 * One call of the refresh function as the manager makes it: bounded by `timeoutMs` (the
 * function's signal aborts then), and retried once at once when it got no answer (a timeout, a
 * dropped connection). Such a refresh may have rotated on the server, and the retry, inside
 * the server's grace window, gets the same successor. An answer (5xx, 429, 401) is never
 * retried here. Resolves `'superseded'` when another tab stored a successor meanwhile: a retry
 * would present a token that may be two generations old. `intended` null: restoring from the
 * refresh cookie, where nothing stored must appear meanwhile.
 */
export function createRefreshCall(
  refreshFn: RefreshFunction,
  timeoutMs: number,
  storage: TokenStorage,
): (intended: StoredTokens | null) => Promise<RefreshResult | 'superseded'> {
  const call = async (refreshToken: string): Promise<RefreshResult> => {
    const controller = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      return await Promise.race([
        refreshFn(refreshToken, { signal: controller.signal }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(new AuthError('refresh_timeout', { retryable: true }))
            controller.abort()
          }, timeoutMs)
        }),
      ])
    } finally {
      clearTimeout(timer)
    }
  }
  return (intended) => {
    const refreshToken = intended?.refreshToken ?? ''
    return call(refreshToken).catch(async (thrown: unknown) => {
      const { code } = toAuthError(thrown)
      if (code !== 'refresh_timeout' && code !== 'network_error') throw thrown
      return sameSession(await storage.get(), intended) ? call(refreshToken) : 'superseded'
    })
  }
}
