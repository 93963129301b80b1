import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  authSettingsOf,
  createAbuseLimits,
  createApp,
  createAuthService,
  createPasswordHasher,
  createRedisStore,
  createTokenKeys,
  DEFAULT_ABUSE_LIMIT_RULES,
  loadConfig,
} from '@refresh-kit/server'
import { useTestRedis } from '@refresh-kit/testing'
import axios from 'axios'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuthClient } from '../src/axios/client.js'
import { type AuthError, isAuthError } from '../src/errors.js'
import { createAuthFetch } from '../src/fetch/client.js'
import type { AccountMethods } from '../src/lib/account.js'
import { memoryStorage } from '../src/storage/memory.js'
import { BINDINGS } from './support/bindings.js'
import { expectNoSecrets } from './support/secrets.js'

const redis = useTestRedis('sdk-e2e')

// The server's clock and the client's move together unless a test says otherwise; the access
// token lives 2 s, and the server tolerates 5 s of skew, so 10 s is past expiry on both sides.
let serverNow = Date.UTC(2026, 0, 1)
let clientNow = serverNow
const PAST_EXPIRY = 10_000
let refreshCalls = 0
let server: Server
let baseURL: string

beforeAll(async () => {
  // The server's clock is moved by the test: the store decides with it, not with Redis's.
  const store = createRedisStore({
    redis: redis.client(),
    keyPrefix: redis.keyPrefix,
    clock: 'caller',
  })
  const tokens = createAuthService({
    ...authSettingsOf(loadConfig({})),
    store,
    keys: createTokenKeys({ jwtSecret: 'sdk-e2e-secret-0123456789abcdefghijklmnopqrstuvwxyz' }),
    clock: () => serverNow,
    passwords: createPasswordHasher({ cost: 2 ** 10 }),
    accessTokenTtlSeconds: 2,
    // Every test registers and signs in from this one address: the per-address registration
    // and attempt limits are off; the failure limits stay as configured by default.
    limits: createAbuseLimits({
      rules: {
        ...DEFAULT_ABUSE_LIMIT_RULES,
        registrationsPerAddress: { points: 0, durationSeconds: 3600 },
        loginAttemptsPerAddress: { points: 0, durationSeconds: 60 },
      },
    }),
  })
  // One trusted proxy hop: a test can send a stranger's login from another address.
  const callback = createApp({ auth: tokens, store, trustProxy: 1 }).callback()
  server = createServer((request, response) => {
    if (request.method === 'POST' && request.url === '/auth/refresh') refreshCalls += 1
    callback(request, response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

let users = 0
async function signUp(auth: {
  register(c: { username: string; password: string }): Promise<unknown>
}) {
  users += 1
  const credentials = { username: `e2e.${users}.${Date.now()}`, password: 'correct horse battery' }
  await auth.register(credentials)
  return credentials
}

const username = (answer: { data: unknown }) => (answer.data as { username?: unknown }).username

describe.each(BINDINGS)('the $name binding against the real server and Redis', (binding) => {
  function client() {
    const storage = memoryStorage()
    const bound = binding.create({ baseURL, storage, now: () => clientNow, leewaySeconds: 1 })
    const seen = { sessionExpired: 0 }
    bound.auth.on('sessionExpired', () => {
      seen.sessionExpired += 1
    })
    return { ...bound, storage, seen }
  }

  it('logs in, outlives a 2-second access token, and sends a burst of 200 with one refresh', async () => {
    const c = client()
    const { auth, storage } = c
    const credentials = await signUp(auth)
    const first = await auth.login(credentials)
    expect(username(await c.get('/auth/me'))).toBe(credentials.username)

    // Expired for both clocks: the burst refreshes first, once.
    serverNow += PAST_EXPIRY
    clientNow += PAST_EXPIRY
    const before = refreshCalls
    const burst = await Promise.all(Array.from({ length: 200 }, () => c.get('/auth/me')))
    expect(burst.every((answer) => answer.status === 200)).toBe(true)
    expect(refreshCalls - before).toBe(1)
    const second = await storage.get()
    expect(second?.refreshToken).not.toBe(first.refreshToken)

    // Expired on the server only (a client clock behind): 200 answers of 401, then one refresh.
    serverNow += PAST_EXPIRY
    const reactive = await Promise.all(Array.from({ length: 200 }, () => c.get('/auth/me')))
    expect(reactive.every((answer) => username(answer) === credentials.username)).toBe(true)
    expect(refreshCalls - before).toBe(2)
    clientNow = serverNow
  })

  it('keeps the device token across a logout and sends it: a known device gets in where strangers locked the account', async () => {
    const { auth, storage } = client()
    const credentials = await signUp(auth)
    await auth.login(credentials)
    await auth.logout()
    expect(await storage.get()).toBeNull()
    expect(await storage.getDeviceToken()).toMatch(/^rkd1\./)
    // Strangers from ten addresses use up the account's failures (LOGIN_MAX_FAILURES_PER_USER).
    const from = (n: number) => ({ headers: { 'X-Forwarded-For': `198.51.100.${n}` } })
    for (let n = 0; n < 10; n++) {
      const guess = await axios
        .post(`${baseURL}/auth/login`, { ...credentials, password: `wrong guess ${n}` }, from(n))
        .catch((error: unknown) => error)
      expect(axios.isAxiosError(guess) && guess.response?.status).toBe(401)
    }
    const stranger = await axios
      .post(`${baseURL}/auth/login`, credentials, from(99))
      .catch((error: unknown) => error)
    expect(axios.isAxiosError(stranger) && stranger.response?.status).toBe(429)
    // The SDK's login presents the device token the first login left: it gets in.
    await auth.login(credentials)
    expect(await storage.get()).not.toBeNull()
  })

  it('logs out: the server revokes the refresh token and storage is empty', async () => {
    const { auth, storage } = client()
    const tokens = await auth.login(await signUp(auth))
    await auth.logout()
    expect(await storage.get()).toBeNull()
    const reuse = await axios
      .post(`${baseURL}/auth/refresh`, { refreshToken: tokens.refreshToken })
      .catch((error: unknown) => error)
    expect(
      axios.isAxiosError(reuse) && [reuse.response?.status, reuse.response?.data.error],
    ).toEqual([401, 'invalid_refresh_token'])
  })

  it('ends in sessionExpired when another client revokes every session (logout-all)', async () => {
    const laptop = client()
    const phone = client()
    const credentials = await signUp(laptop.auth)
    await laptop.auth.login(credentials)
    await phone.auth.login(credentials)
    await phone.auth.logoutAll()
    expect(await phone.storage.get()).toBeNull()

    serverNow += PAST_EXPIRY
    clientNow += PAST_EXPIRY
    const before = refreshCalls
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => laptop.get('/auth/me')),
    )
    for (const result of results) {
      const reason = (result as PromiseRejectedResult).reason
      expect(isAuthError(reason) && [reason.code, reason.status]).toEqual(['session_expired', 401])
    }
    expect(refreshCalls - before).toBe(1)
    expect(laptop.seen.sessionExpired).toBe(1)
    expect(await laptop.storage.get()).toBeNull()
    expect(await laptop.auth.isAuthenticated()).toBe(false)
  })

  it('lists the sessions, revokes another one, and that one ends in sessionExpired', async () => {
    const laptop = client()
    const phone = client()
    const credentials = await signUp(laptop.auth)
    await laptop.auth.login(credentials)
    await phone.auth.login(credentials)
    const sessions = await laptop.auth.sessions()
    expect(sessions).toHaveLength(2)
    const [mine, other] = [sessions.find((s) => s.current), sessions.find((s) => !s.current)]
    expect(mine && other).toBeTruthy()
    await laptop.auth.revokeSession(other?.id ?? '')
    expect(await laptop.auth.sessions()).toEqual([expect.objectContaining({ id: mine?.id })])

    serverNow += PAST_EXPIRY
    clientNow += PAST_EXPIRY
    const error = await phone.get('/auth/me').catch((e: unknown) => e)
    expect(isAuthError(error) && error.code).toBe('session_expired')
    expect(phone.seen.sessionExpired).toBe(1)
    expect(username(await laptop.get('/auth/me'))).toBe(credentials.username)
    clientNow = serverNow
  })

  it('changes the password: refused ones say why and hold no secret, and the other sessions end', async () => {
    const laptop = client()
    const phone = client()
    const credentials = await signUp(laptop.auth)
    await laptop.auth.login(credentials)
    await phone.auth.login(credentials)
    const tokens = await laptop.storage.get()
    const next = 'violet kettle harbour 1984 lantern'
    const secrets = [
      credentials.password,
      next,
      tokens?.accessToken ?? '',
      tokens?.refreshToken ?? '',
    ]

    const wrong = await laptop.auth
      .changePassword({ currentPassword: 'not the password at all', newPassword: next })
      .catch((e: unknown) => e)
    expect(isAuthError(wrong) && [wrong.code, wrong.status]).toEqual(['invalid_credentials', 401])
    expectNoSecrets(wrong, [...secrets, 'not the password at all'])

    const weak = await laptop.auth
      .changePassword({ currentPassword: credentials.password, newPassword: 'password12345678' })
      .catch((e: unknown) => e)
    expect(isAuthError(weak) && [weak.code, weak.status]).toEqual(['invalid_request', 400])
    expect(isAuthError(weak) && weak.details).toEqual([
      expect.objectContaining({ field: expect.any(String), problem: expect.any(String) }),
    ])
    expectNoSecrets(weak, [...secrets, 'password12345678'])

    await laptop.auth.changePassword({ currentPassword: credentials.password, newPassword: next })
    // Past the access tokens' expiry: the phone's refresh token ended with its session.
    serverNow += PAST_EXPIRY
    clientNow += PAST_EXPIRY
    const ended = await phone.get('/auth/me').catch((e: unknown) => e)
    expect(isAuthError(ended) && ended.code).toBe('session_expired')
    expect(username(await laptop.get('/auth/me'))).toBe(credentials.username)
    const again = client()
    const old = await again.auth.login(credentials).catch((e: unknown) => e)
    expect(isAuthError(old) && old.code).toBe('invalid_credentials')
    await again.auth.login({ username: credentials.username, password: next })
    expect(username(await again.get('/auth/me'))).toBe(credentials.username)
  })
})

/**
 * What a browser adds to each request of a page at `origin`: the `Origin` header, and the
 * cookies the server set (Node.js has no cookie jar).
 */
function browserAt(origin: string) {
  const jar = new Map<string, string>()
  return {
    origin,
    cookie: () => [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
    keep(setCookies: readonly string[] | undefined) {
      for (const line of setCookies ?? []) {
        const pair = line.split(';')[0] ?? ''
        const name = pair.slice(0, pair.indexOf('='))
        if (/max-age=0/i.test(line)) jar.delete(name)
        else jar.set(name, pair.slice(pair.indexOf('=') + 1))
      }
    },
  }
}
type Browser = ReturnType<typeof browserAt>

/** A cookie-mode client of each binding, sending what the browser at `page` would. */
const COOKIE_CLIENTS: { name: string; create(page: Browser): AccountMethods }[] = [
  {
    name: 'axios',
    create(page) {
      const instance = axios.create({ baseURL })
      instance.interceptors.request.use((config) => {
        config.headers.set('Origin', page.origin)
        config.headers.set('Cookie', page.cookie())
        return config
      })
      instance.interceptors.response.use(
        (response) => {
          page.keep(response.headers['set-cookie'])
          return response
        },
        (error: unknown) => {
          if (axios.isAxiosError(error)) page.keep(error.response?.headers['set-cookie'])
          throw error
        },
      )
      return createAuthClient({
        baseURL,
        axios: instance,
        refreshTokenTransport: 'cookie',
        storage: memoryStorage(),
        refreshOnWake: false,
      })
    },
  },
  {
    name: 'fetch',
    create(page) {
      return createAuthFetch({
        baseURL,
        refreshTokenTransport: 'cookie',
        storage: memoryStorage(),
        refreshOnWake: false,
        fetch: async (request) => {
          const headers = new Headers(request.headers)
          headers.set('Origin', page.origin)
          headers.set('Cookie', page.cookie())
          const response = await fetch(new Request(request, { headers }))
          page.keep(response.headers.getSetCookie())
          return response
        },
      })
    },
  },
]

describe.each(COOKIE_CLIENTS)(
  'the $name binding in cookie mode, from an origin the server does not allow',
  (binding) => {
    it('reports a restore refused with 403 csrf_rejected as that error and event, and the session is still there for an allowed origin', async () => {
      const page = browserAt('http://localhost:5173')
      const signedIn = binding.create(page)
      await signedIn.login(await signUp(signedIn))
      expect(page.cookie()).toMatch(/rk_refresh=/)

      // The page is reloaded: memory is empty, the cookie is in the browser.
      const reloaded = binding.create(page)
      const failures: AuthError[] = []
      let expired = 0
      reloaded.on('refreshFailed', (error) => {
        failures.push(error)
      })
      reloaded.on('sessionExpired', () => {
        expired += 1
      })
      const error = await reloaded.restore().then(
        (session) => session,
        (thrown: unknown) => thrown,
      )
      expect(isAuthError(error) && [error.code, error.status]).toEqual(['csrf_rejected', 403])
      expect((error as AuthError).message).toContain('CORS_ORIGINS')
      expect((error as AuthError).message).toContain('Host header')
      expect(failures).toEqual([error])
      expect(expired).toBe(0)

      // Nothing was revoked: the same cookie, sent from the server's own origin, restores the session.
      const allowed = binding.create({ ...page, origin: baseURL })
      const session = await allowed.restore()
      expect(session?.accessToken).toMatch(/^ey/)
    })
  },
)
