// The wire behaviours of the SDK, as one table of cases run against every binding: the axios
// interceptors and the fetch function must be indistinguishable on the wire.
import axios from 'axios'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { isAuthError } from '../src/errors.js'
import { memoryStorage } from '../src/storage/memory.js'
import type { StoredTokens, TokenStorage } from '../src/types.js'
import { BINDINGS, type CommonOptions } from './support/bindings.js'
import {
  API,
  createFakeTokenServer,
  type FakeTokenServer,
  gate,
  OTHER,
} from './support/fake-token-server.js'
import { expectNoSecrets } from './support/secrets.js'

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

const userOf = (answer: { data: unknown }) => (answer.data as { user?: unknown } | null)?.user
const errorOf = (answer: { data: unknown }) => (answer.data as { error?: unknown } | null)?.error

describe.each(BINDINGS)('the $name binding', (binding) => {
  function client(options: Partial<CommonOptions> & { storage?: TokenStorage } = {}) {
    const storage = options.storage ?? memoryStorage()
    const bound = binding.create({
      baseURL: API,
      storage,
      now: () => clientNow,
      backoff: { initialMs: 0, maxMs: 0 },
      ...options,
    })
    const seen = { sessionExpired: 0, refreshFailed: 0, logout: 0, released: [] as number[] }
    bound.auth.on('sessionExpired', () => {
      seen.sessionExpired += 1
    })
    bound.auth.on('refreshFailed', () => {
      seen.refreshFailed += 1
    })
    bound.auth.on('logout', () => {
      seen.logout += 1
    })
    bound.auth.on('refresh', (event) => {
      if (event.phase === 'success') seen.released.push(event.released)
    })
    return { ...bound, storage, seen }
  }

  async function tokensOf(c: ReturnType<typeof client>): Promise<StoredTokens> {
    const tokens = await c.auth.manager.getTokens()
    if (tokens === null) throw new Error('expected stored tokens')
    return tokens
  }

  describe('bearer header', () => {
    it('goes to the API origin and never to another origin', async () => {
      const c = client()
      const tokens = await c.auth.login(ada)
      expect(userOf(await c.get('/api/echo'))).toBe('ada')
      expect(fake.sentWith(tokens.accessToken)).toBe(1)
      await c.get(`${OTHER}/absolute`)
      await c.post(`${OTHER}/post`, { a: 1 })
      await c.get('HTTPS://OTHER.TEST/upper')
      await c.get(`${API}@other.test/userinfo`).catch(() => {})
      for (const seen of fake.state.other) expect(seen.authorization ?? '').not.toMatch(/Bearer/)
      expect(fake.state.other.length).toBeGreaterThanOrEqual(3)
      expect(fake.state.api).toHaveLength(1)
    })

    it('goes to the extra origins listed in authorizedOrigins', async () => {
      const c = client({ authorizedOrigins: [API, OTHER] })
      const tokens = await c.auth.login(ada)
      await c.get(`${OTHER}/x`)
      expect(fake.state.other).toEqual([{ authorization: `Bearer ${tokens.accessToken}` }])
    })

    it('is not sent to the token endpoints', async () => {
      const seen: (string | null)[] = []
      msw.use(
        http.post(`${API}/auth/logout`, ({ request }) => {
          seen.push(request.headers.get('authorization'))
          return new HttpResponse(null, { status: 204 })
        }),
      )
      const c = client()
      await c.auth.login(ada)
      await c.auth.logout()
      expect(seen).toEqual([null])
    })
  })

  describe('single flight', () => {
    it.each([1, 10, 1000])(
      '%i requests failing with an expired token cause one refresh, and all succeed',
      async (n) => {
        const c = client()
        const old = await c.auth.login(ada)
        fake.expireAccessTokens()
        const answers = await Promise.all(
          Array.from({ length: n }, (_, i) => c.get('/api/echo', { params: { i } })),
        )
        expect(answers.every((answer) => answer.status === 200 && userOf(answer) === 'ada')).toBe(
          true,
        )
        expect(fake.state.refreshCalls).toBe(1)
        const current = await tokensOf(c)
        expect(current.accessToken).not.toBe(old.accessToken)
        expect(fake.sentWith(old.accessToken)).toBe(n)
        expect(fake.sentWith(current.accessToken)).toBe(n)
        expect(c.seen.released).toHaveLength(1)
      },
      // 2000 requests on a shared 2-core machine: generous, not a benchmark.
      120_000,
    )

    it.each([1, 10, 1000])(
      '%i requests with a token past its expiry refresh first, once, and never send it',
      async (n) => {
        const c = client()
        const old = await c.auth.login(ada)
        advance(15 * MINUTE)
        const answers = await Promise.all(Array.from({ length: n }, () => c.get('/api/echo')))
        expect(answers.every((answer) => answer.status === 200)).toBe(true)
        expect(fake.state.refreshCalls).toBe(1)
        expect(fake.sentWith(old.accessToken)).toBe(0)
        expect(fake.sentWith((await tokensOf(c)).accessToken)).toBe(n)
        expect(c.seen.released).toEqual([n])
      },
      120_000,
    )
  })

  describe('queue, then replay', () => {
    it('holds requests started mid-refresh and sends them once, with the new token', async () => {
      const c = client()
      const old = await c.auth.login(ada)
      fake.expireAccessTokens()
      fake.state.refreshGate = gate()
      const first = c.get('/api/echo')
      await vi.waitFor(() => expect(fake.state.refreshCalls).toBe(1))
      const later = Array.from({ length: 5 }, () => c.get('/api/echo'))
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(fake.state.api).toHaveLength(1)
      fake.state.refreshGate.open()
      await Promise.all([first, ...later])
      const current = await tokensOf(c)
      expect(fake.sentWith(old.accessToken)).toBe(1)
      expect(fake.sentWith(current.accessToken)).toBe(6)
      expect(fake.state.refreshCalls).toBe(1)
    })

    it('replays a request that was in flight when the refresh began, without a second refresh', async () => {
      const c = client()
      const old = await c.auth.login(ada)
      fake.expireAccessTokens()
      fake.state.slowGate = gate()
      const slow = c.get('/api/slow')
      await vi.waitFor(() => expect(fake.state.slowArrived).toBe(1))
      await c.get('/api/echo')
      expect(fake.state.refreshCalls).toBe(1)
      fake.state.slowGate.open()
      expect(userOf(await slow)).toBe('ada')
      expect(fake.state.refreshCalls).toBe(1)
      const current = await tokensOf(c)
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
      const c = client()
      await c.auth.login(ada)
      fake.expireAccessTokens()
      const body = { title: 'draft', tags: ['a', 'b'], nested: { n: 1 } }
      const answer = await c.post('/api/echo', body, {
        params: { q: 'x y', page: 2 },
        headers: { 'X-Custom': 'kept' },
      })
      expect(answer.data).toEqual({
        user: 'ada',
        method: 'POST',
        query: { q: 'x y', page: '2' },
        body,
        custom: 'kept',
        contentType: 'application/json',
      })
      expect(fake.state.api.map((request) => request.status)).toEqual([401, 200])
    })
  })

  describe('which 401s refresh', () => {
    it('a failed login is an AuthError and never refreshes', async () => {
      const c = client()
      const error = await c.auth.login({ ...ada, password: 'wrong password' }).catch((e) => e)
      expect(isAuthError(error) && [error.code, error.status, error.retryable]).toEqual([
        'invalid_credentials',
        401,
        false,
      ])
      expect(fake.state.refreshCalls).toBe(0)
    })

    it('a request flagged skipAuthRefresh gets its 401 back as it is', async () => {
      const c = client()
      const tokens = await c.auth.login(ada)
      fake.expireAccessTokens()
      const answer = await c.get('/api/echo', { skipAuthRefresh: true })
      expect(answer.status).toBe(401)
      expect(fake.sentWith(tokens.accessToken)).toBe(1)
      expect(fake.state.refreshCalls).toBe(0)
    })

    it('a 401 with another code (missing_token) does not refresh', async () => {
      const c = client()
      expect(errorOf(await c.get('/api/echo'))).toBe('missing_token')
      expect(fake.state.refreshCalls).toBe(0)
    })

    it('a 401 from the refresh endpoint called directly does not refresh', async () => {
      const c = client()
      await c.auth.login(ada)
      const answer = await c.post('/auth/refresh', { refreshToken: 'unknown' })
      expect(answer.status).toBe(401)
      expect(fake.state.refreshCalls).toBe(1)
    })

    it('a replay that fails with 401 again is returned: one refresh, no loop', async () => {
      const c = client()
      await c.auth.login(ada)
      expect((await c.get('/api/always-expired')).status).toBe(401)
      expect(fake.state.refreshCalls).toBe(1)
      expect(fake.state.api).toHaveLength(2)
    })

    it('honours a custom shouldRefresh for a backend whose 401 carries no code', async () => {
      msw.use(
        http.get(`${API}/api/bare`, ({ request }) =>
          request.headers.get('authorization') === 'Bearer fresh'
            ? HttpResponse.json({ ok: true })
            : new HttpResponse(null, { status: 401 }),
        ),
      )
      let calls = 0
      const c = client({
        refresh: async () => {
          calls += 1
          return { accessToken: 'fresh', expiresIn: 60 }
        },
        shouldRefresh: (status) => status === 401,
      })
      await c.auth.manager.setTokens({ accessToken: 'stale', refreshToken: 'r', expiresIn: 600 })
      expect((await c.get('/api/bare')).data).toEqual({ ok: true })
      expect(calls).toBe(1)
      expect((await tokensOf(c)).refreshToken).toBe('r')
    })
  })

  describe('refresh rejected', () => {
    it('clears storage, emits sessionExpired once and rejects every waiter with session_expired', async () => {
      const c = client()
      await c.auth.login(ada)
      const tokenEvents: (StoredTokens | null)[] = []
      c.auth.on('tokens', (tokens) => tokenEvents.push(tokens))
      fake.expireAccessTokens()
      fake.revokeRefreshTokens('ada')
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => c.get('/api/echo')))
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
      expect(await c.storage.get()).toBeNull()
      expect(c.seen.sessionExpired).toBe(1)
      expect(tokenEvents).toEqual([null])
      expect(await c.auth.isAuthenticated()).toBe(false)

      // Signed out: later requests go without a token and announce nothing again.
      expect(errorOf(await c.get('/api/echo'))).toBe('missing_token')
      expect(c.seen.sessionExpired).toBe(1)
      expect(fake.state.refreshCalls).toBe(1)
    })
  })

  describe('refresh failed transiently', () => {
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
        const c = client()
        const before = await c.auth.login(ada)
        fake.expireAccessTokens()
        // Without an answer the refresh is retried once at once: the retry fails as well here.
        const failing = code === 'network_error' ? 2 : 1
        fake.state.refreshReply = (call) => (call <= failing ? reply() : undefined)
        const results = await Promise.allSettled(
          Array.from({ length: 5 }, () => c.get('/api/echo')),
        )
        for (const result of results) {
          const reason = (result as PromiseRejectedResult).reason
          expect(isAuthError(reason) && [reason.code, reason.status, reason.retryable]).toEqual([
            code,
            status,
            true,
          ])
        }
        expect(await c.storage.get()).toEqual(before)
        expect(c.seen).toMatchObject({ refreshFailed: 1, sessionExpired: 0 })
        expect(fake.state.refreshCalls).toBe(failing)

        expect(userOf(await c.get('/api/echo'))).toBe('ada')
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
        const c = client({ refreshTimeoutMs: 50 })
        const before = await c.auth.login(ada)
        fake.expireAccessTokens()
        fake.state.refreshReply = (call) => (call === 1 ? reply() : undefined)
        const results = await Promise.all(Array.from({ length: 5 }, () => c.get('/api/echo')))
        expect(results.map(userOf)).toEqual(Array(5).fill('ada'))
        expect(fake.state.presentedRefreshTokens).toEqual([
          before.refreshToken,
          before.refreshToken,
        ])
        expect(c.seen).toMatchObject({ refreshFailed: 0, sessionExpired: 0 })
        expect((await c.storage.get())?.refreshToken).not.toBe(before.refreshToken)
      },
    )

    it('does not retry at once a refresh that was answered, even with a 5xx', async () => {
      const c = client()
      await c.auth.login(ada)
      fake.expireAccessTokens()
      fake.state.refreshReply = () =>
        HttpResponse.json({ error: 'service_unavailable', message: 'down' }, { status: 503 })
      await c.get('/api/echo').catch(() => undefined)
      expect(fake.state.refreshCalls).toBe(1)
    })

    it('backs off: a request during the backoff fails fast, and Retry-After is honoured', async () => {
      const c = client({ backoff: { initialMs: 1000, maxMs: 1000 } })
      await c.auth.login(ada)
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
      expect(await codeOf(c.get('/api/echo'))).toBe('service_unavailable')
      expect(await codeOf(c.get('/api/echo'))).toBe('service_unavailable')
      clientNow += 30_000
      expect(await codeOf(c.get('/api/echo'))).toBe('service_unavailable')
      expect(fake.state.refreshCalls).toBe(1)
      clientNow += 31_000
      expect(await codeOf(c.get('/api/echo'))).toBe('ok')
      expect(fake.state.refreshCalls).toBe(2)
    })
  })

  describe('bounded', () => {
    it('rejects waiters with refresh_timeout when the refresh never answers', async () => {
      const c = client({ refreshTimeoutMs: 50 })
      const before = await c.auth.login(ada)
      fake.expireAccessTokens()
      fake.state.refreshReply = () => new Promise<never>(() => {})
      const results = await Promise.allSettled(Array.from({ length: 3 }, () => c.get('/api/echo')))
      for (const result of results) {
        const reason = (result as PromiseRejectedResult).reason
        expect(isAuthError(reason) && [reason.code, reason.retryable]).toEqual([
          'refresh_timeout',
          true,
        ])
      }
      expect(await c.storage.get()).toEqual(before)
    })

    it('aborting one queued request rejects only it, as the binding aborts', async () => {
      const c = client()
      await c.auth.login(ada)
      advance(15 * MINUTE)
      fake.state.refreshGate = gate()
      const controller = new AbortController()
      const aborted = c.get('/api/echo', { signal: controller.signal })
      const others = [c.get('/api/echo'), c.get('/api/echo')]
      await vi.waitFor(() => expect(fake.state.refreshCalls).toBe(1))
      controller.abort()
      expect(c.isAbort(await aborted.catch((e: unknown) => e))).toBe(true)
      fake.state.refreshGate.open()
      const answers = await Promise.all(others)
      expect(answers.map((answer) => answer.status)).toEqual([200, 200])
      expect(fake.state.api).toHaveLength(2)
      expect(fake.state.refreshCalls).toBe(1)
    })
  })

  describe('proactive refresh and clock skew', () => {
    it.each([
      ['+10 minutes', 10 * MINUTE],
      ['-10 minutes', -10 * MINUTE],
    ])(
      'with the client clock %s off: refreshes once inside the leeway, never loops, never sends an expired token',
      async (_, skew) => {
        useFake({ accessTtlSeconds: 120 })
        clientNow = fake.state.now + skew
        const c = client()
        const first = await c.auth.login(ada)
        advance(80_000)
        await c.get('/api/echo')
        expect(fake.state.refreshCalls).toBe(0)
        advance(15_000) // 25 s left: inside the 30 s leeway
        await c.get('/api/echo')
        expect(fake.state.refreshCalls).toBe(1)
        for (let i = 0; i < 5; i += 1) await c.get('/api/echo')
        advance(25_000) // the first token is now expired on the server
        await c.get('/api/echo')
        expect(fake.state.refreshCalls).toBe(1)
        expect(fake.state.api.every((request) => request.status === 200)).toBe(true)
        expect(fake.sentWith(first.accessToken)).toBe(1)
      },
    )

    it('never uses a leeway of more than half a short-lived token: it is used for its first half', async () => {
      // 20 s tokens under the 30 s default leeway: before, every request refreshed.
      useFake({ accessTtlSeconds: 20 })
      const c = client()
      const first = await c.auth.login(ada)
      for (let i = 0; i < 5; i += 1) await c.get('/api/echo')
      advance(9_000)
      await c.get('/api/echo')
      expect(fake.state.refreshCalls).toBe(0)
      expect(fake.sentWith(first.accessToken)).toBe(6)
      advance(2_000) // 9 s left: past half its life
      await c.get('/api/echo')
      await c.get('/api/echo')
      expect(fake.state.refreshCalls).toBe(1)
      expect(fake.sentWith((await tokensOf(c)).accessToken)).toBe(2)
    })

    it('re-checks expiry on every request: no timer is needed', async () => {
      const c = client()
      await c.auth.login(ada)
      advance(14 * MINUTE + 45_000) // 15 s left, as after a laptop sleep
      await c.get('/api/echo')
      expect(fake.state.refreshCalls).toBe(1)
      expect(fake.state.api.map((request) => request.status)).toEqual([200])
    })
  })

  describe('no shared state', () => {
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
      expect(userOf(await a.get('/api/echo'))).toBe('ada')
      expect(fake.state.refreshCalls).toBe(1)
      expect(await b.storage.get()).toEqual(bobTokens)
      expect(bobEvents).toEqual([])

      fake.expireAccessTokens()
      const [answerA, answerB] = await Promise.all([a.get('/api/echo'), b.get('/api/echo')])
      expect([userOf(answerA), userOf(answerB)]).toEqual(['ada', 'bob'])
      expect(fake.state.refreshCalls).toBe(3)
      expect(a.seen.released).toHaveLength(2)
      expect(b.seen.released).toHaveLength(1)
    })
  })

  describe('rotation and logout', () => {
    it('never presents a rotated refresh token again', async () => {
      const c = client()
      await c.auth.login(ada)
      for (let i = 0; i < 3; i += 1) {
        fake.expireAccessTokens()
        await c.get('/api/echo')
      }
      const presented = fake.state.presentedRefreshTokens
      expect(presented).toHaveLength(3)
      expect(new Set(presented).size).toBe(3)
    })

    it('logs out: revokes on the server, clears storage, emits logout', async () => {
      const c = client()
      const tokens = await c.auth.login(ada)
      expect(await c.auth.isAuthenticated()).toBe(true)
      await c.auth.logout()
      expect(fake.state.logouts).toEqual([tokens.refreshToken])
      expect(await c.storage.get()).toBeNull()
      expect(c.seen.logout).toBe(1)
      expect(await c.auth.isAuthenticated()).toBe(false)
    })

    it('clears the tokens even when the logout request fails', async () => {
      msw.use(http.post(`${API}/auth/logout`, () => HttpResponse.error()))
      const c = client()
      await c.auth.login(ada)
      await c.auth.logout()
      expect(await c.storage.get()).toBeNull()
      expect(c.seen.logout).toBe(1)
    })

    it('registers a user', async () => {
      const c = client()
      expect(await c.auth.register(ada)).toEqual({ id: 'u-ada', username: 'ada' })
    })

    it('takes custom token paths', async () => {
      msw.use(http.post(`${API}/v2/session`, () => HttpResponse.json(fake.issue('ada'))))
      const c = client({ paths: { login: '/v2/session' } })
      await c.auth.login(ada)
      expect(userOf(await c.get('/api/echo'))).toBe('ada')
    })
  })

  describe('no secrets in errors', () => {
    const secret = { username: 'ada', password: 'pw-SECRET-never-printed' }
    it.each([
      [
        '401',
        () => HttpResponse.json({ error: 'invalid_credentials', message: 'no' }, { status: 401 }),
      ],
      [
        '503',
        () => HttpResponse.json({ error: 'service_unavailable', message: 'down' }, { status: 503 }),
      ],
      ['a network error', () => HttpResponse.error()],
    ] as const)('a login failing with %s holds no password', async (_, reply) => {
      msw.use(http.post(`${API}/auth/login`, reply))
      const error = await client()
        .auth.login(secret)
        .catch((e: unknown) => e)
      expectNoSecrets(error, [secret.password])
    })

    it.each([
      [
        '401 (session expired)',
        () =>
          HttpResponse.json({ error: 'invalid_refresh_token', message: 'gone' }, { status: 401 }),
      ],
      [
        '503',
        () => HttpResponse.json({ error: 'service_unavailable', message: 'down' }, { status: 503 }),
      ],
      ['a network error', () => HttpResponse.error()],
    ] as const)(
      'a refresh failing with %s holds neither the refresh token nor the bearer',
      async (_, reply) => {
        const c = client()
        const tokens = await c.auth.login(ada)
        fake.expireAccessTokens()
        fake.state.refreshReply = () => reply()
        const error = await c.get('/api/echo').catch((e: unknown) => e)
        expectNoSecrets(error, [tokens.refreshToken, tokens.accessToken])
      },
    )

    it('a custom refresh whose own error carries the refresh token and a bearer leaks neither', async () => {
      msw.use(http.post('https://idp.test/token', () => new HttpResponse(null, { status: 400 })))
      const c = client({
        refresh: async (refreshToken, { signal }) =>
          (
            await axios.post(
              'https://idp.test/token',
              { refreshToken },
              {
                signal,
                headers: { Authorization: `Bearer ${refreshToken}` },
              },
            )
          ).data,
      })
      const tokens = await c.auth.login(ada)
      fake.expireAccessTokens()
      const error = await c.get('/api/echo').catch((e: unknown) => e)
      expect(isAuthError(error) && error.code).toBe('session_expired')
      expectNoSecrets(error, [tokens.refreshToken, tokens.accessToken])
    })

    it('a failed logout-all and session revocation hold no token', async () => {
      const c = client()
      const tokens = await c.auth.login(ada)
      fake.state.failLogoutAll = true
      expectNoSecrets(await c.auth.logoutAll().catch((e: unknown) => e), [
        tokens.refreshToken,
        tokens.accessToken,
      ])
      msw.use(http.delete(`${API}/auth/sessions/:id`, () => HttpResponse.error()))
      expectNoSecrets(await c.auth.revokeSession('s-x').catch((e: unknown) => e), [
        tokens.refreshToken,
        tokens.accessToken,
      ])
    })

    it('a failed logout never throws, and the logout request held the refresh token only in its body', async () => {
      msw.use(http.post(`${API}/auth/logout`, () => HttpResponse.error()))
      const c = client()
      await c.auth.login(ada)
      await expect(c.auth.logout()).resolves.toBeUndefined()
    })
  })

  describe('sessions', () => {
    it('lists the sessions, revokes one, and ends every session with logoutAll', async () => {
      const c = client()
      const tokens = await c.auth.login(ada)
      expect(await c.auth.sessions()).toEqual([
        expect.objectContaining({ id: fake.sessionOf(tokens.accessToken), current: true }),
      ])
      const other = client()
      const phone = await other.auth.login(ada)
      await c.auth.revokeSession(fake.sessionOf(phone.accessToken))
      expect(fake.state.revokedSessions).toEqual([fake.sessionOf(phone.accessToken)])
      expect(await c.storage.get()).toEqual(tokens)

      await c.auth.logoutAll()
      expect(fake.state.logoutAll).toEqual(['ada'])
      expect(await c.storage.get()).toBeNull()
      expect(c.seen.logout).toBe(1)
    })

    it('signs out here when the revoked session is its own', async () => {
      const c = client()
      const tokens = await c.auth.login(ada)
      await c.auth.revokeSession(fake.sessionOf(tokens.accessToken))
      expect(await c.storage.get()).toBeNull()
      expect(c.seen.logout).toBe(1)
    })

    it('refreshes an expired token for the sessions call too, and keeps the tokens when logoutAll fails', async () => {
      const c = client()
      await c.auth.login(ada)
      fake.expireAccessTokens()
      expect(await c.auth.sessions()).toHaveLength(1)
      expect(fake.state.refreshCalls).toBe(1)
      fake.state.failLogoutAll = true
      const error = await c.auth.logoutAll().catch((e: unknown) => e)
      expect(isAuthError(error) && [error.code, error.retryable]).toEqual([
        'service_unavailable',
        true,
      ])
      expect(await c.auth.isAuthenticated()).toBe(true)
    })
  })
})
