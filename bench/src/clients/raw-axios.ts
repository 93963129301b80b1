import axios from 'axios'
import type { TokenPair } from '../lib/local-api.js'
import type { BenchClient, ClientFactory } from './types.js'

/**
 * Plain axios with the bearer set once as a default header: the floor every other client
 * is compared with.
 *
 * @example
 * ```ts
 * const client = await rawAxios.create(api.baseURL)
 * await client.me()
 * ```
 */
export const rawAxios: ClientFactory = {
  name: 'raw axios',
  async create(baseURL): Promise<BenchClient> {
    const { data } = await axios.post<TokenPair>(`${baseURL}/auth/login`, {
      username: 'bench',
      password: 'bench-password',
    })
    const http = axios.create({ baseURL, headers: { Authorization: `Bearer ${data.accessToken}` } })
    return {
      me: async () => {
        await http.get('/auth/me')
      },
      close: () => {},
    }
  },
}
