import axios, { type InternalAxiosRequestConfig } from 'axios'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createAuthClient } from '../../src/axios/client.js'
import { memoryStorage } from '../../src/storage/memory.js'
import { tokenRequest } from '../../src/transport.js'
import type { StoredTokens, TokenStorage } from '../../src/types.js'

const API = 'https://api.test'
const msw = setupServer()
beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }))
afterEach(() => msw.resetHandlers())
afterAll(() => msw.close())

const ada = { username: 'ada', password: 'correct horse battery' }

interface Seen {
  path: string
  transport: string | null
  body: string
  authorization: string | null
}

/**
 * The reference server's cookie transport, as far as the wire goes: the refresh token is the
 * server's secret (Node.js has no cookie jar), the transport header is required on the token
 * endpoints, and their answers never carry a refresh token.
 */
function cookieServer() {
  const state = {
    seen: [] as Seen[],
    issued: 0,
    signedIn: false,
    /** Refresh tokens the server put in Set-Cookie: none may reach the client's storage. */
    cookies: [] as string[],
    refreshStatus: 200,
  }
  const answer = () => {
    state.issued += 1
    const cookie = `rk1.secret-${state.issued}`
    state.cookies.push(cookie)
    return HttpResponse.json(
      {
        accessToken: `at-${state.issued}`,
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshExpiresIn: 3600,
      },
      {
        headers: {
          'Set-Cookie': `rk_refresh=${cookie}; HttpOnly; Secure; SameSite=Strict; Path=/auth`,
        },
      },
    )
  }
  const record = async (request: Request) => {
    state.seen.push({
      path: new URL(request.url).pathname,
      transport: request.headers.get('x-refresh-token-transport'),
      body: await request.text(),
      authorization: request.headers.get('authorization'),
    })
  }
  const refused = (status: number, error: string) =>
    HttpResponse.json({ error, message: error }, { status })
  msw.use(
    http.post(`${API}/auth/login`, async ({ request }) => {
      await record(request)
      state.signedIn = true
      return answer()
    }),
    http.post(`${API}/auth/refresh`, async ({ request }) => {
      await record(request)
      if (request.headers.get('x-refresh-token-transport') !== 'cookie') {
        return refused(403, 'csrf_rejected')
      }
      if (state.refreshStatus !== 200) return refused(state.refreshStatus, 'service_unavailable')
      return state.signedIn ? answer() : refused(401, 'invalid_refresh_token')
    }),
    http.post(`${API}/auth/logout`, async ({ request }) => {
      await record(request)
      state.signedIn = false
      return new HttpResponse(null, { status: 204 })
    }),
    http.get(`${API}/auth/me`, async ({ request }) => {
      await record(request)
      return request.headers.get('authorization')?.startsWith('Bearer at-')
        ? HttpResponse.json({ id: 'u1', username: 'ada', sessionId: 's1' })
        : refused(401, 'missing_token')
    }),
  )
  return state
}

/** A client whose instance records, per path, the `withCredentials` each request left with. */
function cookieClient(storage: TokenStorage = memoryStorage()) {
  const instance = axios.create({ baseURL: API })
  const credentials: Record<string, (boolean | undefined)[]> = {}
  // Registered first, so it runs last: it sees each request as it leaves.
  instance.interceptors.request.use((config: InternalAxiosRequestConfig) => {
    const path = new URL(config.url ?? '', API).pathname
    credentials[path] = [...(credentials[path] ?? []), config.withCredentials]
    return config
  })
  const auth = createAuthClient({
    baseURL: API,
    axios: instance,
    storage,
    refreshTokenTransport: 'cookie',
  })
  return { auth, credentials }
}

let server: ReturnType<typeof cookieServer>
beforeEach(() => {
  server = cookieServer()
})

describe("refreshTokenTransport: 'cookie' on the wire", () => {
  it('login, refresh and logout send the transport header with credentials; refresh and logout send no body', async () => {
    const { auth, credentials } = cookieClient()
    await auth.login(ada)
    await auth.manager.refresh()
    await auth.logout()
    expect(server.seen.map(({ path, transport, body }) => ({ path, transport, body }))).toEqual([
      { path: '/auth/login', transport: 'cookie', body: JSON.stringify(ada) },
      { path: '/auth/refresh', transport: 'cookie', body: '' },
      { path: '/auth/logout', transport: 'cookie', body: '' },
    ])
    expect(credentials).toEqual({
      '/auth/login': [true],
      '/auth/refresh': [true],
      '/auth/logout': [true],
    })
  })

  it('sends credentials only to the token endpoints: other requests keep axios’s own setting', async () => {
    const { auth, credentials } = cookieClient()
    await auth.login(ada)
    await auth.http.get('/auth/me')
    await auth.http.get('/auth/me', { withCredentials: true })
    expect(credentials['/auth/me']).toEqual([undefined, true])
    expect(server.seen.at(-1)?.authorization).toBe('Bearer at-1')
  })

  it('keeps every refresh token out of storage: what is stored cannot be turned into a session', async () => {
    const written: StoredTokens[] = []
    const storage: TokenStorage = {
      get: async () => written.at(-1) ?? null,
      set: async (tokens) => {
        written.push(tokens)
      },
      remove: async () => {
        written.length = 0
      },
    }
    const { auth } = cookieClient(storage)
    await auth.login(ada)
    await auth.manager.refresh()
    await auth.manager.refresh()
    expect(written).toHaveLength(3)
    const serialised = JSON.stringify(written)
    for (const cookie of server.cookies) expect(serialised).not.toContain(cookie)
    expect(written.map((tokens) => tokens.refreshToken)).toEqual(['', '', ''])
  })

  it('restores the session after a reload: the first request asks /auth/refresh once, then carries the bearer', async () => {
    await cookieClient().auth.login(ada)
    // A new page: empty memory, the cookie still in the browser.
    const { auth } = cookieClient()
    const answers = await Promise.all([auth.http.get('/auth/me'), auth.http.get('/auth/me')])
    expect(answers.map((answer) => answer.data.username)).toEqual(['ada', 'ada'])
    expect(server.seen.filter((seen) => seen.path === '/auth/refresh')).toHaveLength(1)
    expect(await auth.isAuthenticated()).toBe(true)
  })

  it('restore() resolves null when there is no session, and requests then go without a bearer', async () => {
    const { auth } = cookieClient()
    let expired = 0
    auth.on('sessionExpired', () => {
      expired += 1
    })
    expect(await auth.restore()).toBeNull()
    await expect(auth.http.get('/auth/me')).rejects.toMatchObject({ response: { status: 401 } })
    expect(server.seen.filter((seen) => seen.path === '/auth/refresh')).toHaveLength(1)
    expect(server.seen.at(-1)?.authorization).toBeNull()
    expect(expired).toBe(0)
  })

  it('logout reaches the server even when this page holds nothing yet, so the cookie is revoked', async () => {
    await cookieClient().auth.login(ada)
    const { auth } = cookieClient()
    await auth.logout()
    expect(server.seen.at(-1)).toMatchObject({ path: '/auth/logout', transport: 'cookie' })
    expect(server.signedIn).toBe(false)
  })
})

describe('tokenRequest', () => {
  it('describes the same wire for every binding', () => {
    expect(tokenRequest('cookie', 'refresh')).toEqual({
      body: undefined,
      headers: { 'X-Refresh-Token-Transport': 'cookie' },
      credentials: true,
    })
    expect(tokenRequest('body', 'refresh', 'rt-1')).toEqual({
      body: { refreshToken: 'rt-1' },
      headers: {},
      credentials: false,
    })
    expect(tokenRequest('cookie', 'login', ada)).toEqual({
      body: ada,
      headers: { 'X-Refresh-Token-Transport': 'cookie' },
      credentials: true,
    })
  })
})
