import { createAuthFetch } from '@refresh-kit/client-sdk/fetch'
import type { TokenPair } from '../lib/local-api.js'
import type { BenchClient, ClientFactory } from './types.js'

/**
 * Node's own `fetch` with the bearer set by hand on every call, the body read as JSON: the
 * floor the fetch entry is compared with.
 *
 * @example
 * ```ts
 * const client = await rawFetch.create(api.baseURL)
 * ```
 */
export const rawFetch: ClientFactory = {
  name: 'raw fetch',
  async create(baseURL): Promise<BenchClient> {
    const response = await fetch(`${baseURL}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench', password: 'bench-password' }),
    })
    const { accessToken } = (await response.json()) as TokenPair
    const headers = { Authorization: `Bearer ${accessToken}` }
    return {
      me: async () => {
        const answer = await fetch(`${baseURL}/auth/me`, { headers })
        if (!answer.ok) throw new Error(`GET /auth/me answered ${answer.status}`)
        await answer.json()
      },
      close: () => {},
    }
  },
}

/**
 * refresh-kit's fetch entry as an app would use it: `createAuthFetch({ baseURL })`, `login`,
 * then requests through the returned function, the body read as JSON.
 *
 * @example
 * ```ts
 * const client = await refreshKitFetch.create(api.baseURL)
 * ```
 */
export const refreshKitFetch: ClientFactory = {
  name: 'refresh-kit/fetch',
  async create(baseURL): Promise<BenchClient> {
    const authFetch = createAuthFetch({ baseURL })
    await authFetch.login({ username: 'bench', password: 'bench-password' })
    return {
      me: async () => {
        const answer = await authFetch('/auth/me')
        if (!answer.ok) throw new Error(`GET /auth/me answered ${answer.status}`)
        await answer.json()
      },
      close: () => authFetch.manager.close(),
    }
  },
}
