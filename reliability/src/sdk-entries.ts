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

/** The SDK's core entry as built; loaded lazily so that a missing build fails one test, clearly. */
async function builtCore() {
  const url = pathToFileURL(join(SDK_DIST, 'index.js')).href
  return (await import(url)) as typeof import('@refresh-kit/client-sdk')
}

/**
 * The entries every fault test runs against, each with the SDK's default timeouts. The fetch
 * entry (`@refresh-kit/client-sdk/fetch`) joins this table with one line once it ships.
 */
export const SDK_ENTRIES: readonly SdkEntry[] = [
  {
    name: 'axios (createAuthClient)',
    async create(baseURL) {
      const sdk = await builtCore()
      const auth = sdk.createAuthClient({ baseURL, storage: sdk.memoryStorage() })
      const seen = { sessionExpired: 0, logout: 0, refreshFailed: 0 }
      auth.on('sessionExpired', () => {
        seen.sessionExpired += 1
      })
      auth.on('logout', () => {
        seen.logout += 1
      })
      auth.on('refreshFailed', () => {
        seen.refreshFailed += 1
      })
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
]
