import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Credentials } from '@refresh-kit/shared'

/** The built SDK (`packages/client-sdk/dist`), which `pnpm test:reliability` builds first. */
export const SDK_DIST = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'packages',
  'client-sdk',
  'dist',
)

/** What a fault test needs from a signed-in client, whichever entry of the SDK built it. */
export interface SdkClient {
  login(credentials: Credentials): Promise<void>
  /** `GET /auth/me` through the client (it refreshes first when it must); the HTTP status. */
  me(): Promise<number>
  /** Forces a refresh now (the manager's single flight); rejects with the SDK's `AuthError`. */
  refresh(): Promise<void>
  /** The stored refresh token, or `null` when signed out. */
  refreshToken(): Promise<string | null>
  /** The stored access token, or `null` when signed out. */
  accessToken(): Promise<string | null>
  /** How often each event that ends or troubles a session fired. */
  readonly seen: { sessionExpired: number; logout: number; refreshFailed: number }
}

/** One public entry of the SDK, as a factory of {@link SdkClient}s on a base URL. */
export interface SdkEntry {
  name: string
  create(baseURL: string): Promise<SdkClient>
}

/** The SDK's axios entry as built; loaded lazily so that a missing build fails one test, clearly. */
async function builtCore() {
  const url = pathToFileURL(join(SDK_DIST, 'index.js')).href
  return (await import(url)) as typeof import('@refresh-kit/client-sdk')
}

/** The SDK's fetch entry as built. */
async function builtFetch() {
  const url = pathToFileURL(join(SDK_DIST, 'fetch.js')).href
  return (await import(url)) as typeof import('@refresh-kit/client-sdk/fetch')
}

/** Counts the events that end or trouble a session. */
function watch(
  on: (event: 'sessionExpired' | 'logout' | 'refreshFailed', listener: () => void) => unknown,
) {
  const seen = { sessionExpired: 0, logout: 0, refreshFailed: 0 }
  for (const event of ['sessionExpired', 'logout', 'refreshFailed'] as const) {
    on(event, () => {
      seen[event] += 1
    })
  }
  return seen
}

/**
 * The entries every fault test runs against, each with the SDK's default timeouts: the axios
 * binding and the fetch function. A new entry joins this table and every fault test runs on it.
 */
export const SDK_ENTRIES: readonly SdkEntry[] = [
  {
    name: 'axios (createAuthClient)',
    async create(baseURL) {
      const sdk = await builtCore()
      const auth = sdk.createAuthClient({ baseURL, storage: sdk.memoryStorage() })
      const seen = watch((event, listener) => auth.on(event, listener))
      return {
        seen,
        login: async (credentials) => {
          await auth.login(credentials)
        },
        me: async () => (await auth.http.get('/auth/me', { validateStatus: () => true })).status,
        refresh: async () => {
          await auth.manager.refresh()
        },
        refreshToken: async () => (await auth.manager.getTokens())?.refreshToken ?? null,
        accessToken: async () => (await auth.manager.getTokens())?.accessToken ?? null,
      }
    },
  },
  {
    name: 'fetch (createAuthFetch)',
    async create(baseURL) {
      const sdk = await builtFetch()
      const authFetch = sdk.createAuthFetch({ baseURL, storage: sdk.memoryStorage() })
      const seen = watch((event, listener) => authFetch.on(event, listener))
      return {
        seen,
        login: async (credentials) => {
          await authFetch.login(credentials)
        },
        me: async () => (await authFetch('/auth/me')).status,
        refresh: async () => {
          await authFetch.manager.refresh()
        },
        refreshToken: async () => (await authFetch.manager.getTokens())?.refreshToken ?? null,
        accessToken: async () => (await authFetch.manager.getTokens())?.accessToken ?? null,
      }
    },
  },
]
