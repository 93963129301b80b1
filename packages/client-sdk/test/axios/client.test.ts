import { Readable } from 'node:stream'
import axios from 'axios'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { attachTokenRefresh } from '../../src/axios/attach.js'
import type { AuthClientOptions } from '../../src/axios/client.js'
import { createAuthClient } from '../../src/axios/client.js'
import { isAuthError } from '../../src/errors.js'
import { memoryStorage } from '../../src/storage/memory.js'
import type { AuthEvents, StoredTokens } from '../../src/types.js'
import {
  API,
  createFakeTokenServer,
  type FakeTokenServer,
  OTHER,
} from '../support/fake-token-server.js'

const msw = setupServer()
beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }))
afterEach(() => msw.resetHandlers())
afterAll(() => msw.close())

const ada = { username: 'ada', password: 'correct horse battery' }
const MINUTE = 60_000

let fake: FakeTokenServer
let clientNow: number

function useFake(options?: { accessTtlSeconds?: number }): FakeTokenServer {
  fake = createFakeTokenServer(options)
  msw.use(...fake.handlers)
  clientNow = fake.state.now
  return fake
}

beforeEach(() => {
  useFake()
})

/** Moves the server's clock and the client's clock together. */
function advance(ms: number): void {
  fake.state.now += ms
  clientNow += ms
}

function client(options: Partial<AuthClientOptions> = {}) {
  const storage = options.storage ?? memoryStorage()
  const auth = createAuthClient({
    baseURL: API,
    storage,
    now: () => clientNow,
    backoff: { initialMs: 0, maxMs: 0 },
    ...options,
  })
  const seen = { sessionExpired: 0, refreshFailed: 0, logout: 0, released: [] as number[] }
  auth.on('sessionExpired', () => {
    seen.sessionExpired += 1
  })
  auth.on('refreshFailed', () => {
    seen.refreshFailed += 1
  })
  auth.on('logout', () => {
    seen.logout += 1
  })
  auth.on('refresh', (event) => {
    if (event.phase === 'success') seen.released.push(event.released)
  })
  return { auth, storage, seen }
}

async function tokensOf(auth: { manager: { getTokens(): Promise<StoredTokens | null> } }) {
  const tokens = await auth.manager.getTokens()
  if (tokens === null) throw new Error('expected stored tokens')
  return tokens
}

// The wire behaviours both bindings share are in test/wire.test.ts; these are the axios binding's own.
describe('bearer header', () => {
  it('goes to the API origin and never to another origin', async () => {
    // Registered first, so it runs last: it sees what the SDK put on each request.
    const instance = axios.create({ baseURL: API })
    const attached: [string | undefined, unknown][] = []
    instance.interceptors.request.use((config) => {
      attached.push([config.url, config.headers.get('Authorization')])
      return config
    })
    const { auth } = client({ axios: instance })
    const tokens = await auth.login(ada)
    const { data } = await auth.http.get('/api/echo')
    expect(data.user).toBe('ada')
    expect(fake.sentWith(tokens.accessToken)).toBe(1)

    await auth.http.get(`${OTHER}/absolute`)
    await auth.http.post(`${OTHER}/post`, { a: 1 })
    await auth.http.get(`${OTHER}/x`, { baseURL: OTHER })
    await auth.http.get('x', { baseURL: `${OTHER}/` })
    expect(fake.state.other).toEqual([
      { authorization: null },
      { authorization: null },
      { authorization: null },
      { authorization: null },
    ])
    // Node's http cannot send a protocol-relative URL, but a browser would: no token either way.
    await auth.http.get('//other.test/protocol-relative').catch(() => {})
    expect(attached.at(-1)).toEqual(['//other.test/protocol-relative', undefined])
    expect(attached.filter(([, authorization]) => authorization !== undefined)).toEqual([
      ['/api/echo', `Bearer ${tokens.accessToken}`],
    ])
  })

  it('follows the URL the request goes to, not the text it starts with', async () => {
    const instance = axios.create({ baseURL: `${API}/api` })
    const attached: [string | undefined, unknown][] = []
    instance.interceptors.request.use((config) => {
      attached.push([config.url, config.headers.get('Authorization')])
      return config
    })
    const { manager } = attachTokenRefresh(instance, { baseURL: API, now: () => clientNow })
    const tokens = await manager.setTokens((await axios.post(`${API}/auth/login`, ada)).data)
    const bearer = `Bearer ${tokens.accessToken}`
    // Under a base with a path, and by absolute URL (any case) to the API origin: the token.
    expect((await instance.get('echo')).data.user).toBe('ada')
    expect((await instance.get(`${API}/api/echo`)).data.user).toBe('ada')
    expect((await instance.get('HTTPS://API.TEST/api/echo')).data.user).toBe('ada')
    // Userinfo and case tricks that end up at another origin: never.
    await instance.get(`${API}@other.test/userinfo`).catch(() => {})
    await instance.get('HTTPS://OTHER.TEST/upper').catch(() => {})
    await instance.get(`${OTHER}\\x`).catch(() => {})
    // A token endpoint, however its path is spelled: never.
    await instance.post(`${API}/auth/x/../logout`).catch(() => {})
    await instance.post(`${API}/auth/%2e/logout`).catch(() => {})
    await instance.post(`${API}\\auth\\logout`).catch(() => {})
    await instance.post(`${API}/auth/logout `).catch(() => {})
    expect(attached).toEqual([
      ['echo', bearer],
      [`${API}/api/echo`, bearer],
      ['HTTPS://API.TEST/api/echo', bearer],
      [`${API}@other.test/userinfo`, undefined],
      ['HTTPS://OTHER.TEST/upper', undefined],
      [`${OTHER}\\x`, undefined],
      [`${API}/auth/x/../logout`, undefined],
      [`${API}/auth/%2e/logout`, undefined],
      [`${API}\\auth\\logout`, undefined],
      [`${API}/auth/logout `, undefined],
    ])
    // axios turns the userinfo into Basic credentials of its own; the bearer never leaves.
    expect(fake.state.other).toEqual([
      { authorization: `Basic ${btoa('api.test:')}` },
      { authorization: null },
      { authorization: null },
    ])
  })

  it('works on an app instance without baseURL, by absolute URL', async () => {
    const api = axios.create()
    const { manager } = attachTokenRefresh(api, { baseURL: API, now: () => clientNow })
    const login = await api.post(`${API}/auth/login`, ada)
    await manager.setTokens(login.data)
    expect((await api.get(`${API}/api/echo`)).data.user).toBe('ada')
    await api.get(`${OTHER}/x`)
    expect(fake.state.other).toEqual([{ authorization: null }])
  })
})

describe('queue, then replay', () => {
  it('rejects a stream body that would have to be replayed with request_not_replayable', async () => {
    const { auth } = client()
    await auth.login(ada)
    fake.expireAccessTokens()
    const error = await auth.http
      .post('/api/echo', Readable.from(['{"a":1}']), {
        headers: { 'Content-Type': 'application/json' },
      })
      .catch((e: unknown) => e)
    expect(isAuthError(error) && error.code).toBe('request_not_replayable')
    expect(fake.state.api.map((request) => request.status)).toEqual([401])
  })
})

describe('custom refresh function (other backends)', () => {
  it('refreshes through a backend that is not the reference server', async () => {
    const idpCalls: string[] = []
    msw.use(
      http.post('https://idp.test/oauth/token', async ({ request }) => {
        const form = new URLSearchParams(await request.text())
        idpCalls.push(`${form.get('grant_type')}:${form.get('refresh_token')}`)
        const tokens = fake.issue('ada')
        return HttpResponse.json({
          access_token: tokens.accessToken,
          refresh_token: tokens.refreshToken,
          expires_in: tokens.expiresIn,
          token_type: 'bearer',
        })
      }),
    )
    const { auth } = client({
      refresh: async (refreshToken, { signal }) => {
        const { data } = await axios.post(
          'https://idp.test/oauth/token',
          new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
          { signal },
        )
        return {
          accessToken: data.access_token,
          refreshToken: data.refresh_token,
          expiresIn: data.expires_in,
        }
      },
    })
    const first = await auth.login(ada)
    fake.expireAccessTokens()
    expect((await auth.http.get('/api/echo')).data.user).toBe('ada')
    expect(idpCalls).toEqual([`refresh_token:${first.refreshToken}`])
    expect(fake.state.refreshCalls).toBe(0)
  })
})

describe('getAccessToken', () => {
  it('refreshes when inside the leeway and shares the flight with requests', async () => {
    const { auth } = client()
    const old = await auth.login(ada)
    advance(15 * MINUTE)
    const [token, answer] = await Promise.all([auth.getAccessToken(), auth.http.get('/api/echo')])
    expect(answer.status).toBe(200)
    expect(fake.state.refreshCalls).toBe(1)
    expect(token).toBe((await tokensOf(auth)).accessToken)
    expect(token).not.toBe(old.accessToken)
    expect(await auth.getAccessToken()).toBe(token)
    expect(fake.state.refreshCalls).toBe(1)
  })

  it('is null when signed out', async () => {
    const { auth } = client()
    expect(await auth.getAccessToken()).toBeNull()
    expect(await auth.isAuthenticated()).toBe(false)
  })

  it('returns the still-valid token when a refresh inside the leeway fails transiently', async () => {
    const { auth } = client()
    const old = await auth.login(ada)
    advance(14 * MINUTE + 50_000)
    fake.state.refreshReply = () => HttpResponse.error()
    expect(await auth.getAccessToken()).toBe(old.accessToken)
    // The refresh and its immediate retry.
    expect(fake.state.refreshCalls).toBe(2)
  })
})

describe('options', () => {
  it('names the option in the TypeError of a bad one', () => {
    expect(() => createAuthClient({ baseURL: 42 as unknown as string })).toThrow(/`baseURL`/)
    expect(() => createAuthClient({ baseURL: 'not a url' })).toThrow(/`baseURL`/)
    expect(() => createAuthClient({ baseURL: API, authorizedOrigins: ['::'] })).toThrow(
      /`authorizedOrigins`/,
    )
    expect(() => createAuthClient({ baseURL: API, leewaySeconds: -1 })).toThrow(/`leewaySeconds`/)
    expect(() => createAuthClient({ baseURL: API, refreshTimeoutMs: 0 })).toThrow(
      /`refreshTimeoutMs`/,
    )
    expect(() => createAuthClient({ baseURL: API, shouldRefresh: 1 as never })).toThrow(
      /`shouldRefresh`/,
    )
  })
})

// Type-level: the event map is what the demo codes against.
const _listener: AuthEvents['refresh'] = (event) => {
  if (event.phase === 'success') event.released satisfies number
}
void _listener
