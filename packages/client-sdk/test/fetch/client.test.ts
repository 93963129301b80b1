// The fetch binding's own behaviours; the wire behaviours it shares with axios are in test/wire.test.ts.
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthFetch } from '../../src/fetch/client.js'
import { memoryStorage } from '../../src/storage/memory.js'
import {
  API,
  createFakeTokenServer,
  type FakeTokenServer,
  OTHER,
} from '../support/fake-token-server.js'

const msw = setupServer()
beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  msw.resetHandlers()
  vi.unstubAllGlobals()
})
afterAll(() => msw.close())

const ada = { username: 'ada', password: 'correct horse battery' }
let fake: FakeTokenServer
beforeEach(() => {
  fake = createFakeTokenServer()
  msw.use(...fake.handlers)
})

const client = (options: Partial<Parameters<typeof createAuthFetch>[0]> = {}) =>
  createAuthFetch({
    baseURL: API,
    storage: memoryStorage(),
    now: () => fake.state.now,
    ...options,
  })

describe('createAuthFetch', () => {
  it('replays a streamed body from a clone, intact, after a refresh', async () => {
    const authFetch = client()
    await authFetch.login(ada)
    fake.expireAccessTokens()
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"streamed":'))
        controller.enqueue(new TextEncoder().encode('[1,2,3]}'))
        controller.close()
      },
    })
    const response = await authFetch('/api/echo', {
      method: 'PUT',
      body,
      headers: { 'Content-Type': 'application/json' },
      duplex: 'half',
    } as RequestInit)
    expect(await response.json()).toMatchObject({ method: 'PUT', body: { streamed: [1, 2, 3] } })
    expect(fake.state.api.map((request) => request.status)).toEqual([401, 200])
    expect(fake.state.refreshCalls).toBe(1)
  })

  it('takes a Request, keeps its method, headers and body, and replays it', async () => {
    const authFetch = client()
    await authFetch.login(ada)
    fake.expireAccessTokens()
    const request = new Request(`${API}/api/echo?x=1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Custom': 'kept' },
      body: JSON.stringify({ a: 1 }),
    })
    const answer = await (await authFetch(request)).json()
    expect(answer).toEqual({
      user: 'ada',
      method: 'POST',
      query: { x: '1' },
      body: { a: 1 },
      custom: 'kept',
      contentType: 'application/json',
    })
  })

  it('returns answers other than an expired token as they are, body unread', async () => {
    const authFetch = client()
    await authFetch.login(ada)
    const missing = await authFetch(`${OTHER}/x`)
    expect(await missing.json()).toEqual({ ok: true })
    expect(fake.state.other).toEqual([{ authorization: null }])
  })

  it('sends a relative URL where the browser would, and the bearer only to the page own origin', async () => {
    // A page on api.test holding `<base href="https://other.test/">`.
    vi.stubGlobal('location', { href: `${API}/app/page` })
    vi.stubGlobal('document', { baseURI: `${OTHER}/` })
    const authFetch = createAuthFetch({ baseURL: '/', storage: memoryStorage() })
    expect(authFetch.endpoints.login).toBe(`${API}/auth/login`)
    const tokens = await authFetch.login(ada)
    await authFetch('api/echo')
    await authFetch('/api/echo')
    expect(fake.state.other).toEqual([{ authorization: null }, { authorization: null }])
    expect(fake.state.api).toEqual([])
    // An absolute URL to the API still carries it.
    expect((await authFetch(`${API}/api/echo`)).status).toBe(200)
    expect(fake.sentWith(tokens.accessToken)).toBe(1)
  })

  it('follows a <base href> added after a URL was first sent, though the URL is remembered', async () => {
    const page = { baseURI: `${API}/app/page` }
    vi.stubGlobal('location', { href: `${API}/app/page` })
    vi.stubGlobal('document', page)
    const authFetch = createAuthFetch({ baseURL: '/', storage: memoryStorage() })
    const tokens = await authFetch.login(ada)
    expect((await authFetch('/api/echo')).status).toBe(200)
    expect(fake.sentWith(tokens.accessToken)).toBe(1)
    page.baseURI = `${OTHER}/`
    await authFetch('/api/echo')
    expect(fake.state.other).toEqual([{ authorization: null }])
    expect(fake.sentWith(tokens.accessToken)).toBe(1)
  })

  it('names the option in the TypeError of a bad one', () => {
    expect(() => createAuthFetch({ baseURL: 42 as unknown as string })).toThrow(/`baseURL`/)
    expect(() => createAuthFetch({ baseURL: 'not a url' })).toThrow(/`baseURL`/)
    expect(() => createAuthFetch({ baseURL: API, authorizedOrigins: ['::'] })).toThrow(
      /`authorizedOrigins`/,
    )
    expect(() => createAuthFetch({ baseURL: API, shouldRefresh: 1 as never })).toThrow(
      /`shouldRefresh`/,
    )
    expect(() => createAuthFetch({ baseURL: API, leewaySeconds: -1 })).toThrow(/`leewaySeconds`/)
  })

  it('hands a URL and its init to the global fetch as they are, so no Request is built twice', async () => {
    const real = globalThis.fetch
    const calls: { input: unknown; authorization: string | null }[] = []
    vi.stubGlobal('fetch', (input: RequestInfo | URL, init?: RequestInit) => {
      calls.push({ input, authorization: new Headers(init?.headers).get('authorization') })
      return real(input, init)
    })
    const authFetch = client()
    const tokens = await authFetch.login(ada)
    await authFetch('/api/echo', { headers: { 'X-Custom': 'kept' } })
    await authFetch(`${OTHER}/x`)
    expect(calls).toEqual([
      { input: `${API}/auth/login`, authorization: null },
      { input: `${API}/api/echo`, authorization: `Bearer ${tokens.accessToken}` },
      { input: `${OTHER}/x`, authorization: null },
    ])
    expect(fake.state.api.at(-1)).toMatchObject({ status: 200 })
  })

  it('sends through the fetch it is given', async () => {
    const seen: string[] = []
    const authFetch = client({
      fetch: (request) => {
        seen.push(`${request.method} ${request.url}`)
        return fetch(request)
      },
    })
    await authFetch.login(ada)
    await authFetch('/api/echo')
    expect(seen).toEqual([`POST ${API}/auth/login`, `GET ${API}/api/echo`])
  })
})

describe('createAuthFetch in cookie mode', () => {
  it('sends the transport header with credentials to the token endpoints only, and never holds a refresh token', async () => {
    const seen: { path: string; transport: string | null; credentials: string; body: string }[] = []
    let issued = 0
    const answer = () => {
      issued += 1
      return HttpResponse.json({
        accessToken: `at-${issued}`,
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshExpiresIn: 3600,
      })
    }
    const record = async (request: Request) => {
      seen.push({
        path: new URL(request.url).pathname,
        transport: request.headers.get('x-refresh-token-transport'),
        credentials: request.credentials,
        body: await request.text(),
      })
    }
    msw.use(
      http.post(`${API}/auth/login`, async ({ request }) => {
        await record(request)
        return answer()
      }),
      http.post(`${API}/auth/refresh`, async ({ request }) => {
        await record(request)
        return answer()
      }),
      http.post(`${API}/auth/logout`, async ({ request }) => {
        await record(request)
        return new HttpResponse(null, { status: 204 })
      }),
      http.get(`${API}/api/cookie`, async ({ request }) => {
        await record(request)
        return request.headers.get('authorization') === `Bearer at-${issued}`
          ? HttpResponse.json({ ok: true })
          : HttpResponse.json({ error: 'token_expired', message: 'expired' }, { status: 401 })
      }),
    )
    const storage = memoryStorage()
    const authFetch = createAuthFetch({
      baseURL: API,
      storage,
      refreshTokenTransport: 'cookie',
    })
    await authFetch.login(ada)
    expect((await storage.get())?.refreshToken).toBe('')
    issued += 1 // the server moved on: the stored access token is now refused
    expect(await (await authFetch('/api/cookie')).json()).toEqual({ ok: true })
    await authFetch.logout()
    expect(seen.map(({ path, transport, credentials }) => [path, transport, credentials])).toEqual([
      ['/auth/login', 'cookie', 'include'],
      ['/api/cookie', null, 'same-origin'],
      ['/auth/refresh', 'cookie', 'include'],
      ['/api/cookie', null, 'same-origin'],
      ['/auth/logout', 'cookie', 'include'],
    ])
    // The refresh and the logout carry no body: the cookie authenticates them.
    expect(seen.filter((s) => s.path !== '/auth/login').map((s) => s.body)).toEqual([
      '',
      '',
      '',
      '',
    ])
    expect(await storage.get()).toBeNull()
  })
})
