import type { TokenStore } from '../store/types.js'

const METHODS = [
  'createUser',
  'findUserByUsername',
  'findUserById',
  'createSession',
  'rotate',
  'getSession',
  'listSessions',
  'revokeSession',
  'revokeAllSessions',
  'setPasswordHash',
  'ping',
  'close',
] as const satisfies readonly (keyof TokenStore)[]

/**
 * The store, with every failed call reported to `onError` (then rethrown unchanged): the
 * source of the `storeError` event, and so of `refresh_kit_store_errors_total`.
 */
export function observeStore(
  store: TokenStore,
  onError: (operation: string, error: unknown) => void,
): TokenStore {
  // Every other property (a store may have more) passes through, read from the store itself.
  const observed = Object.create(store) as Record<string, unknown>
  for (const name of METHODS) {
    const method = store[name] as (...args: unknown[]) => Promise<unknown>
    observed[name] = (...args: unknown[]) =>
      method.apply(store, args).catch((error: unknown) => {
        onError(name, error)
        throw error
      })
  }
  return observed as unknown as TokenStore
}
