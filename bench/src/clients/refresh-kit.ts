import { createAuthClient } from '@refresh-kit/client-sdk'
import type { BenchClient, ClientFactory } from './types.js'

/**
 * refresh-kit's client as an app would use it: `createAuthClient({ baseURL })`, `login`, then
 * requests through `auth.http`. The SDK runs from its built ESM entry, as installed.
 *
 * @example
 * ```ts
 * const client = await refreshKit.create(api.baseURL)
 * await client.me()
 * ```
 */
export const refreshKit: ClientFactory = {
  name: 'refresh-kit',
  async create(baseURL): Promise<BenchClient> {
    const auth = createAuthClient({ baseURL })
    await auth.login({ username: 'bench', password: 'bench-password' })
    return {
      me: async () => {
        await auth.http.get('/auth/me')
      },
      close: () => auth.manager.close(),
    }
  },
}
