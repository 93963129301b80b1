import type { StoredTokens, TokenStorage } from '../types.js'

/**
 * Keeps the tokens in this object only: nothing survives a reload, and each client created
 * with its own `memoryStorage()` is fully separate. The default storage.
 *
 * @example
 * ```ts
 * const auth = createAuthClient({ baseURL, storage: memoryStorage() })
 * ```
 */
export function memoryStorage(): TokenStorage {
  let tokens: StoredTokens | null = null
  return {
    get: async () => tokens,
    set: async (next) => {
      tokens = next
    },
    remove: async () => {
      tokens = null
    },
  }
}
