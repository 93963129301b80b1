import type { StoredTokens, TokenStorage } from '../types.js'

/** Options of {@link localStorageStorage}. */
export interface LocalStorageOptions {
  /** The `localStorage` key. @default 'refresh-kit.tokens' */
  key?: string
}

function store(): Storage {
  // Looked up on use, never at import: the module loads in Node and in workers too.
  const storage = (globalThis as { localStorage?: Storage }).localStorage
  if (storage === undefined)
    throw new TypeError('localStorageStorage: globalThis.localStorage is not available')
  return storage
}

/**
 * Keeps the tokens in `localStorage` under one key, shared by every tab of the origin.
 * An unreadable value counts as no tokens.
 *
 * @example
 * ```ts
 * const auth = createAuthClient({ baseURL, storage: localStorageStorage({ key: 'my-app.tokens' }) })
 * ```
 */
export function localStorageStorage(options: LocalStorageOptions = {}): TokenStorage {
  const key = options.key ?? 'refresh-kit.tokens'
  if (typeof key !== 'string' || key === '') {
    throw new TypeError('localStorageStorage: option `key` must be a non-empty string')
  }
  return {
    get: async () => {
      const raw = store().getItem(key)
      if (raw === null) return null
      try {
        const tokens = JSON.parse(raw) as StoredTokens | null
        return typeof tokens?.accessToken === 'string' && typeof tokens.refreshToken === 'string'
          ? tokens
          : null
      } catch {
        return null
      }
    },
    set: async (tokens) => store().setItem(key, JSON.stringify(tokens)),
    remove: async () => store().removeItem(key),
  }
}
