// The script of a page that holds `<base href>` to another origin: both bindings, signed in.
import { createAuthClient } from '../../src/axios/client.js'
import { createAuthFetch } from '../../src/fetch/client.js'
import { memoryStorage } from '../../src/storage/memory.js'

interface Credentials {
  username: string
  password: string
}

declare global {
  interface Window {
    /** Signs in with each binding (baseURL `/`) and sends the given relative and absolute requests. */
    run(credentials: Credentials): Promise<Record<string, unknown>>
  }
}

const outcome = (promise: Promise<{ status: number }>) =>
  promise.then(
    (answer) => answer.status,
    (error: { response?: { status?: number }; message?: string }) =>
      error.response?.status ?? `error: ${error.message}`,
  )

window.run = async (credentials) => {
  const authFetch = createAuthFetch({ baseURL: '/', storage: memoryStorage() })
  const axiosClient = createAuthClient({ baseURL: '/', storage: memoryStorage() })
  await authFetch.login(credentials)
  await axiosClient.login(credentials)
  return {
    endpoints: [authFetch.endpoints.login, authFetch.endpoints.refresh],
    fetchRooted: await outcome(authFetch('/api/rooted')),
    fetchRelative: await outcome(authFetch('api/relative')),
    fetchOwnOrigin: await outcome(authFetch(`${location.origin}/auth/me`)),
    axiosRooted: await outcome(axiosClient.http.get('/api/rooted-axios')),
    axiosRelative: await outcome(axiosClient.http.get('api/relative-axios')),
    axiosOwnOrigin: await outcome(axiosClient.http.get(`${location.origin}/auth/me`)),
  }
}
