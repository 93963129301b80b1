import { Readable } from 'node:stream'
import axios from 'axios'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { attachTokenRefresh } from '../../src/axios/attach.js'
import type { AuthClientOptions } from '../../src/axios/client.js'
import { createAuthClient } from '../../src/axios/client.js'
import { AuthError, isAuthError } from '../../src/errors.js'
import { memoryStorage } from '../../src/storage/memory.js'
import type { AuthEvents, StoredTokens } from '../../src/types.js'
import {
  API,
  createFakeTokenServer,
  type FakeTokenServer,
  gate,
  OTHER,
} from '../support/fake-token-server.js'

const msw = setupServer()
beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }))
afterEach(() => msw.resetHandlers())
afterAll(() => msw.close())

const ada = { username: 'ada', password: 'correct horse battery' }
const bob = { username: 'bob', password: 'correct horse battery' }
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

describe('bearer header (behaviour 1)', () => {
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

  it('goes to the extra origins listed in authorizedOrigins', async () => {
    const { auth } = client({ authorizedOrigins: [API, OTHER] })
    const tokens = await auth.login(ada)
    await auth.http.get(`${OTHER}/x`)
    expect(fake.state.other).toEqual([{ authorization: `Bearer ${tokens.accessToken}` }])
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

  it('is not sent to the token endpoints', async () => {
    const seen: (string | null)[] = []
    msw.use(
      http.post(`${API}/auth/logout`, ({ request }) => {
        seen.push(request.headers.get('authorization'))
        return new HttpResponse(null, { status: 204 })
      }),
    )
    const { auth } = client()
    await auth.login(ada)
    await auth.logout()
    expect(seen).toEqual([null])
  })
})

describe('single flight (behaviour 2)', () => {
  it.each([1, 10, 1000])(
    '%i requests failing with an expired token cause one refresh, and all succeed',
    async (n) => {
      const { auth, seen } = client()
      const old = await auth.login(ada)
      fake.expireAccessTokens()
      const answers = await Promise.all(
        Array.from({ length: n }, (_, i) => auth.http.get('/api/echo', { params: { i } })),
      )
      expect(answers.every((answer) => answer.status === 200 && answer.data.user === 'ada')).toBe(
        true,
      )
      expect(fake.state.refreshCalls).toBe(1)
      const current = await tokensOf(auth)
      expect(current.accessToken).not.toBe(old.accessToken)
      expect(fake.sentWith(old.accessToken)).toBe(n)
      expect(fake.sentWith(current.accessToken)).toBe(n)
      expect(seen.released).toHaveLength(1)
    },
    // 2000 requests through the interceptors on a shared 2-core machine: generous, not a benchmark.
    120_000,
  )

  it.each([1, 10, 1000])(
    '%i requests with a token past its expiry refresh first, once, and never send it',
    async (n) => {
      const { auth, seen } = client()
      const old = await auth.login(ada)
      advance(15 * MINUTE)
      const answers = await Promise.all(Array.from({ length: n }, () => auth.http.get('/api/echo')))
      expect(answers.every((answer) => answer.status === 200)).toBe(true)
      expect(fake.state.refreshCalls).toBe(1)
      expect(fake.sentWith(old.accessToken)).toBe(0)
      expect(fake.sentWith((await tokensOf(auth)).accessToken)).toBe(n)
      expect(seen.released).toEqual([n])
    },
    120_000,
  )
})

describe('queue, then replay (behaviour 3)', () => {
  it('holds requests started mid-refresh and sends them once, with the new token', async () => {
    const { auth } = client()
    const old = await auth.login(ada)
    fake.expireAccessTokens()
    fake.state.refreshGate = gate()
    const first = auth.http.get('/api/echo')
    await vi.waitFor(() => expect(fake.state.refreshCalls).toBe(1))
    const later = Array.from({ length: 5 }, () => auth.http.get('/api/echo'))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(fake.state.api).toHaveLength(1)
    fake.state.refreshGate.open()
    await Promise.all([first, ...later])
    const current = await tokensOf(auth)
    expect(fake.sentWith(old.accessToken)).toBe(1)
    expect(fake.sentWith(current.accessToken)).toBe(6)
    expect(fake.state.refreshCalls).toBe(1)
  })

  it('replays a request that was in flight when the refresh began, without a second refresh', async () => {
    const { auth } = client()
    const old = await auth.login(ada)
    fake.expireAccessTokens()
    fake.state.slowGate = gate()
    const slow = auth.http.get('/api/slow')
    await vi.waitFor(() => expect(fake.state.slowArrived).toBe(1))
    await auth.http.get('/api/echo')
    expect(fake.state.refreshCalls).toBe(1)
    fake.state.slowGate.open()
    expect((await slow).data.user).toBe('ada')
    expect(fake.state.refreshCalls).toBe(1)
    const current = await tokensOf(auth)
    expect(
      fake.state.api.map((request) => [
        request.url.replace(API, ''),
        request.token === old.accessToken,
        request.status,
      ]),
    ).toEqual([
      ['/api/echo', true, 401],
      ['/api/echo', false, 200],
      ['/api/slow', true, 401],
      ['/api/slow', false, 200],
    ])
    expect(fake.sentWith(current.accessToken)).toBe(2)
  })

  it('replays a POST with its JSON body, query params and custom headers intact', async () => {
    const { auth } = client()
    await auth.login(ada)
    fake.expireAccessTokens()
    const body = { title: 'draft', tags: ['a', 'b'], nested: { n: 1 } }
    const { data } = await auth.http.post('/api/echo', body, {
      params: { q: 'x y', page: 2 },
      headers: { 'X-Custom': 'kept' },
    })
    expect(data).toEqual({
      user: 'ada',
      method: 'POST',
      query: { q: 'x y', page: '2' },
      body,
      custom: 'kept',
      contentType: 'application/json',
    })
    expect(fake.state.api.map((request) => request.status)).toEqual([401, 200])
  })

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

describe('which 401s refresh (behaviour 5)', () => {
  it('a failed login is an AuthError and never refreshes', async () => {
    const { auth } = client()
    const error = await auth.login({ ...ada, password: 'wrong password' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthError)
    expect(error).toMatchObject({ code: 'invalid_credentials', status: 401, retryable: false })
    expect(fake.state.refreshCalls).toBe(0)
  })

  it('a request flagged skipAuthRefresh gets its 401 back as it is', async () => {
    const { auth } = client()
    await auth.login(ada)
    fake.expireAccessTokens()
    const error = await auth.http
      .get('/api/echo', { skipAuthRefresh: true })
      .catch((e: unknown) => e)
    expect(axios.isAxiosError(error) && error.response?.status).toBe(401)
    expect(fake.state.refreshCalls).toBe(0)
  })

  it('a 401 with another code (missing_token) does not refresh', async () => {
    const { auth } = client()
    const error = await auth.http.get('/api/echo').catch((e: unknown) => e)
    expect(axios.isAxiosError(error) && error.response?.data.error).toBe('missing_token')
    expect(fake.state.refreshCalls).toBe(0)
  })

  it('a 401 from the refresh endpoint called directly does not refresh', async () => {
    const { auth } = client()
    await auth.login(ada)
    const error = await auth.http
      .post('/auth/refresh', { refreshToken: 'unknown' })
      .catch((e: unknown) => e)
    expect(axios.isAxiosError(error) && error.response?.status).toBe(401)
    expect(fake.state.refreshCalls).toBe(1)
  })

  it('a replay that fails with 401 again rejects: one refresh, no loop', async () => {
    const { auth } = client()
    await auth.login(ada)
    const error = await auth.http.get('/api/always-expired').catch((e: unknown) => e)
    expect(axios.isAxiosError(error) && error.response?.status).toBe(401)
    expect(fake.state.refreshCalls).toBe(1)
    expect(fake.state.api).toHaveLength(2)
  })
})

describe('refresh rejected (behaviour 6)', () => {
  it('clears storage, emits sessionExpired once and rejects every waiter with session_expired', async () => {
    const { auth, storage, seen } = client()
    await auth.login(ada)
    const tokenEvents: (StoredTokens | null)[] = []
    auth.on('tokens', (tokens) => tokenEvents.push(tokens))
    fake.expireAccessTokens()
    fake.revokeRefreshTokens('ada')
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => auth.http.get('/api/echo')),
    )
    for (const result of results) {
      expect(result.status).toBe('rejected')
      const reason = (result as PromiseRejectedResult).reason
      expect(isAuthError(reason) && [reason.code, reason.status, reason.retryable]).toEqual([
        'session_expired',
        401,
        false,
      ])
    }
    expect(fake.state.refreshCalls).toBe(1)
    expect(await storage.get()).toBeNull()
    expect(seen.sessionExpired).toBe(1)
    expect(tokenEvents).toEqual([null])
    expect(await auth.isAuthenticated()).toBe(false)

    // Signed out: later requests go without a token and announce nothing again.
    const later = await auth.http.get('/api/echo').catch((e: unknown) => e)
    expect(axios.isAxiosError(later) && later.response?.data.error).toBe('missing_token')
    expect(seen.sessionExpired).toBe(1)
    expect(fake.state.refreshCalls).toBe(1)
  })
})

describe('refresh failed transiently (behaviour 7)', () => {
  it.each([
    ['a network error', () => HttpResponse.error(), 'network_error', undefined],
    [
      '503',
      () => HttpResponse.json({ error: 'service_unavailable', message: 'down' }, { status: 503 }),
      'service_unavailable',
      503,
    ],
    [
      'a 502 without a body',
      () => new HttpResponse(null, { status: 502 }),
      'service_unavailable',
      502,
    ],
  ] as const)(
    'on %s keeps the tokens, rejects waiters as retryable, and the next request refreshes again',
    async (_, reply, code, status) => {
      const { auth, storage, seen } = client()
      const before = await auth.login(ada)
      fake.expireAccessTokens()
      // Without an answer the refresh is retried once at once: the retry fails as well here.
      const failing = code === 'network_error' ? 2 : 1
      fake.state.refreshReply = (call) => (call <= failing ? reply() : undefined)
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => auth.http.get('/api/echo')),
      )
      for (const result of results) {
        const reason = (result as PromiseRejectedResult).reason
        expect(isAuthError(reason) && [reason.code, reason.status, reason.retryable]).toEqual([
          code,
          status,
          true,
        ])
      }
      expect(await storage.get()).toEqual(before)
      expect(seen).toMatchObject({ refreshFailed: 1, sessionExpired: 0 })
      expect(fake.state.refreshCalls).toBe(failing)

      expect((await auth.http.get('/api/echo')).data.user).toBe('ada')
      expect(fake.state.refreshCalls).toBe(failing + 1)
      expect(fake.state.presentedRefreshTokens).toEqual(
        Array.from({ length: failing + 1 }, () => before.refreshToken),
      )
    },
  )

  it.each([
    ['lost its connection', () => HttpResponse.error()],
    ['timed out', () => new Promise<never>(() => {})],
  ] as const)(
    'retries a refresh that %s once at once with the same token, and every waiter succeeds',
    async (_, reply) => {
      const { auth, storage, seen } = client({ refreshTimeoutMs: 50 })
      const before = await auth.login(ada)
      fake.expireAccessTokens()
      fake.state.refreshReply = (call) => (call === 1 ? reply() : undefined)
      const results = await Promise.all(Array.from({ length: 5 }, () => auth.http.get('/api/echo')))
      expect(results.map((result) => result.data.user)).toEqual(Array(5).fill('ada'))
      expect(fake.state.presentedRefreshTokens).toEqual([before.refreshToken, before.refreshToken])
      expect(seen).toMatchObject({ refreshFailed: 0, sessionExpired: 0 })
      expect((await storage.get())?.refreshToken).not.toBe(before.refreshToken)
    },
  )

  it('does not retry at once a refresh that was answered, even with a 5xx', async () => {
    const { auth } = client()
    await auth.login(ada)
    fake.expireAccessTokens()
    fake.state.refreshReply = () =>
      HttpResponse.json({ error: 'service_unavailable', message: 'down' }, { status: 503 })
    await auth.http.get('/api/echo').catch(() => undefined)
    expect(fake.state.refreshCalls).toBe(1)
  })

  it('backs off: a request during the backoff fails fast, and Retry-After is honoured', async () => {
    const { auth } = client({ backoff: { initialMs: 1000, maxMs: 1000 } })
    await auth.login(ada)
    fake.expireAccessTokens()
    fake.state.refreshReply = (call) =>
      call === 1
        ? HttpResponse.json(
            { error: 'service_unavailable', message: 'down' },
            { status: 503, headers: { 'Retry-After': '60' } },
          )
        : undefined
    const codeOf = (promise: Promise<unknown>) =>
      promise.then(
        () => 'ok',
        (error: unknown) => (isAuthError(error) ? error.code : String(error)),
      )
    expect(await codeOf(auth.http.get('/api/echo'))).toBe('service_unavailable')
    expect(await codeOf(auth.http.get('/api/echo'))).toBe('service_unavailable')
    clientNow += 30_000
    expect(await codeOf(auth.http.get('/api/echo'))).toBe('service_unavailable')
    expect(fake.state.refreshCalls).toBe(1)
    clientNow += 31_000
    expect(await codeOf(auth.http.get('/api/echo'))).toBe('ok')
    expect(fake.state.refreshCalls).toBe(2)
  })

  it('backs off exponentially: the wait doubles and is capped', async () => {
    const { auth } = client({ backoff: { initialMs: 1000, maxMs: 2000 } })
    await auth.login(ada)
    fake.expireAccessTokens()
    fake.state.refreshReply = () => new HttpResponse(null, { status: 500 })
    const attempt = () => auth.http.get('/api/echo').catch(() => {})
    await attempt()
    clientNow += 1000 // first wait is at most 1 s
    await attempt()
    expect(fake.state.refreshCalls).toBe(2)
    clientNow += 2000 // then at most 2 s (the cap)
    await attempt()
    expect(fake.state.refreshCalls).toBe(3)
    await attempt() // at once: still waiting
    expect(fake.state.refreshCalls).toBe(3)
  })
})

describe('bounded (behaviour 8)', () => {
  it('rejects waiters with refresh_timeout when the refresh never answers', async () => {
    const { auth, storage } = client({ refreshTimeoutMs: 50 })
    const before = await auth.login(ada)
    fake.expireAccessTokens()
    fake.state.refreshReply = () => new Promise<never>(() => {})
    const results = await Promise.allSettled(
      Array.from({ length: 3 }, () => auth.http.get('/api/echo')),
    )
    for (const result of results) {
      const reason = (result as PromiseRejectedResult).reason
      expect(isAuthError(reason) && [reason.code, reason.retryable]).toEqual([
        'refresh_timeout',
        true,
      ])
    }
    expect(await storage.get()).toEqual(before)
  })

  it('aborting one queued request rejects only it, as a CanceledError', async () => {
    const { auth } = client()
    await auth.login(ada)
    advance(15 * MINUTE)
    fake.state.refreshGate = gate()
    const controller = new AbortController()
    const aborted = auth.http.get('/api/echo', { signal: controller.signal })
    const others = [auth.http.get('/api/echo'), auth.http.get('/api/echo')]
    await vi.waitFor(() => expect(fake.state.refreshCalls).toBe(1))
    controller.abort()
    const error = await aborted.catch((e: unknown) => e)
    expect(axios.isCancel(error)).toBe(true)
    fake.state.refreshGate.open()
    const answers = await Promise.all(others)
    expect(answers.map((answer) => answer.status)).toEqual([200, 200])
    expect(fake.state.api).toHaveLength(2)
    expect(fake.state.refreshCalls).toBe(1)
  })
})

describe('proactive refresh and clock skew (behaviour 4)', () => {
  it.each([
    ['+10 minutes', 10 * MINUTE],
    ['-10 minutes', -10 * MINUTE],
  ])(
    'with the client clock %s off: refreshes once inside the leeway, never loops, never sends an expired token',
    async (_, skew) => {
      useFake({ accessTtlSeconds: 60 })
      clientNow = fake.state.now + skew
      const { auth } = client()
      const first = await auth.login(ada)
      advance(20_000)
      await auth.http.get('/api/echo')
      expect(fake.state.refreshCalls).toBe(0)
      advance(15_000) // 25 s left: inside the 30 s leeway
      await auth.http.get('/api/echo')
      expect(fake.state.refreshCalls).toBe(1)
      for (let i = 0; i < 5; i += 1) await auth.http.get('/api/echo')
      advance(25_000) // the first token is now expired on the server
      await auth.http.get('/api/echo')
      expect(fake.state.refreshCalls).toBe(1)
      expect(fake.state.api.every((request) => request.status === 200)).toBe(true)
      expect(fake.sentWith(first.accessToken)).toBe(1)
    },
  )

  it('re-checks expiry on every request: no timer is needed', async () => {
    const { auth } = client()
    await auth.login(ada)
    advance(14 * MINUTE + 45_000) // 15 s left, as after a laptop sleep
    await auth.http.get('/api/echo')
    expect(fake.state.refreshCalls).toBe(1)
    expect(fake.state.api.map((request) => request.status)).toEqual([200])
  })
})

describe('no shared state (behaviour 13)', () => {
  it('keeps two clients in one process apart: tokens, refreshes and events', async () => {
    let bobNow = clientNow
    const a = client()
    const b = client({ now: () => bobNow })
    const bobEvents: (StoredTokens | null)[] = []
    await a.auth.login(ada)
    const bobTokens = await b.auth.login(bob)
    b.auth.on('tokens', (tokens) => bobEvents.push(tokens))

    advance(15 * MINUTE)
    bobNow = fake.state.now - 5 * MINUTE
    expect((await a.auth.http.get('/api/echo')).data.user).toBe('ada')
    expect(fake.state.refreshCalls).toBe(1)
    expect(await b.storage.get()).toEqual(bobTokens)
    expect(bobEvents).toEqual([])

    fake.expireAccessTokens()
    const [answerA, answerB] = await Promise.all([
      a.auth.http.get('/api/echo'),
      b.auth.http.get('/api/echo'),
    ])
    expect([answerA.data.user, answerB.data.user]).toEqual(['ada', 'bob'])
    expect(fake.state.refreshCalls).toBe(3)
    expect(a.seen.released).toHaveLength(2)
    expect(b.seen.released).toHaveLength(1)
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

  it('honours a custom shouldRefresh for a backend whose 401 carries no code', async () => {
    msw.use(
      http.get(`${API}/api/bare`, ({ request }) =>
        request.headers.get('authorization') === 'Bearer fresh'
          ? HttpResponse.json({ ok: true })
          : new HttpResponse(null, { status: 401 }),
      ),
    )
    const { auth } = client({
      refresh: async () => {
        fake.state.refreshCalls += 1
        return { accessToken: 'fresh', expiresIn: 60 }
      },
      shouldRefresh: (error) => error.response?.status === 401,
    })
    await auth.manager.setTokens({ accessToken: 'stale', refreshToken: 'r', expiresIn: 600 })
    expect((await auth.http.get('/api/bare')).data).toEqual({ ok: true })
    expect(fake.state.refreshCalls).toBe(1)
    expect((await tokensOf(auth)).refreshToken).toBe('r')
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

describe('rotation (behaviour 9) and logout', () => {
  it('never presents a rotated refresh token again', async () => {
    const { auth } = client()
    await auth.login(ada)
    for (let i = 0; i < 3; i += 1) {
      fake.expireAccessTokens()
      await auth.http.get('/api/echo')
    }
    const presented = fake.state.presentedRefreshTokens
    expect(presented).toHaveLength(3)
    expect(new Set(presented).size).toBe(3)
  })

  it('logs out: revokes on the server, clears storage, emits logout', async () => {
    const { auth, storage, seen } = client()
    const tokens = await auth.login(ada)
    expect(await auth.isAuthenticated()).toBe(true)
    await auth.logout()
    expect(fake.state.logouts).toEqual([tokens.refreshToken])
    expect(await storage.get()).toBeNull()
    expect(seen.logout).toBe(1)
    expect(await auth.isAuthenticated()).toBe(false)
  })

  it('clears the tokens even when the logout request fails', async () => {
    msw.use(http.post(`${API}/auth/logout`, () => HttpResponse.error()))
    const { auth, storage, seen } = client()
    await auth.login(ada)
    await auth.logout()
    expect(await storage.get()).toBeNull()
    expect(seen.logout).toBe(1)
  })

  it('registers a user', async () => {
    const { auth } = client()
    expect(await auth.register(ada)).toEqual({ id: 'u-ada', username: 'ada' })
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

  it('takes custom token paths', async () => {
    msw.use(http.post(`${API}/v2/session`, () => HttpResponse.json(fake.issue('ada'))))
    const { auth } = client({ paths: { login: '/v2/session' } })
    await auth.login(ada)
    expect((await auth.http.get('/api/echo')).data.user).toBe('ada')
  })
})

// Type-level: the event map is what the demo codes against.
const _listener: AuthEvents['refresh'] = (event) => {
  if (event.phase === 'success') event.released satisfies number
}
void _listener
