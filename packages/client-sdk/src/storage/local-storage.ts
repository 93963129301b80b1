import { check } from '../lib/check.js'
import type { StoredTokens, TokenStorage } from '../types.js'

/** Options of {@link localStorageStorage}. */
export interface LocalStorageOptions {
  /** The `localStorage` key; the device token is kept under `${key}.device`. @default 'refresh-kit.tokens' */
  key?: string
}

function store(): Storage {
  // Looked up on use, never at import: the module loads in Node and in workers too.
  const storage = (globalThis as { localStorage?: Storage }).localStorage
  if (storage === undefined) throw new TypeError('localStorage is not available')
  return storage
}

/**
 * Keeps the tokens in `localStorage` under one key, shared by every tab of the origin.
 * A value that is not JSON counts as no tokens. The device token (body transport) is kept
 * under `${key}.device`, which `remove()` leaves: it outlives a logout.
 *
 * @example
 * ```ts
 * const auth = createAuthClient({ baseURL, storage: localStorageStorage({ key: 'my-app.tokens' }) })
 * ```
 */
export function localStorageStorage(options: LocalStorageOptions = {}): Required<TokenStorage> {
  const key = options.key ?? 'refresh-kit.tokens'
  check(typeof key === 'string' && key !== '', 'localStorageStorage', 'key')
  return {
    get: async () => {
      try {
        // JSON.parse(null) is null: no tokens stored.
        return JSON.parse(store().getItem(key) as string) as StoredTokens | null
      } catch (error) {
        if (error instanceof SyntaxError) return null
        throw error
      }
    },
    set: async (tokens) => store().setItem(key, JSON.stringify(tokens)),
    remove: async () => store().removeItem(key),
    getDeviceToken: async () => store().getItem(`${key}.device`),
    setDeviceToken: async (deviceToken) => store().setItem(`${key}.device`, deviceToken),
  }
}
