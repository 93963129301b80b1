import type { StoredTokens, TokenStorage } from '../types.js'

/**
 * Keeps the tokens in this object only: nothing survives a reload, and each client created
 * with its own `memoryStorage()` is fully separate. The default storage. The device token has
 * a slot of its own, which `remove()` leaves.
 *
 * @example
 * ```ts
 * const auth = createAuthClient({ baseURL, storage: memoryStorage() })
 * ```
 */
export function memoryStorage(): Required<TokenStorage> {
  let tokens: StoredTokens | null = null
  let device: string | null = null
  return {
    get: async () => tokens,
    set: async (next) => {
      tokens = next
    },
    remove: async () => {
      tokens = null
    },
    getDeviceToken: async () => device,
    setDeviceToken: async (next) => {
      device = next
    },
  }
}
