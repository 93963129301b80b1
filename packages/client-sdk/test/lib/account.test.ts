// The account calls both bindings share (src/lib/account.ts), on the wire: changing the
// password, and the device token a login keeps and sends back.
import axios from 'axios'
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createAuthClient } from '../../src/axios/client.js'
import { isAuthError } from '../../src/errors.js'
import { createAuthFetch } from '../../src/fetch/client.js'
import { memoryStorage } from '../../src/storage/memory.js'
import type { StoredTokens, TokenStorage } from '../../src/types.js'
import { BINDINGS, type Binding } from '../support/bindings.js'
import { API, createFakeTokenServer, type FakeTokenServer } from '../support/fake-token-server.js'
import { expectNoSecrets } from '../support/secrets.js'

const msw = setupServer()
beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }))
afterEach(() => msw.resetHandlers())
afterAll(() => msw.close())

const CURRENT = 'current-SECRET-passphrase-1'
const NEXT = 'next-SECRET-passphrase-long-enough'
const ada = { username: 'ada', password: CURRENT }
const bob = { username: 'bob', password: 'correct horse battery' }
const MINUTE = 60_000

const fail = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )

function setup(binding: Binding, options: { deviceTokens?: boolean } = {}) {
  const fake: FakeTokenServer = createFakeTokenServer(options)
  msw.use(...fake.handlers)
  fake.state.passwords.set('ada', CURRENT)
  let clientNow = fake.state.now
  const client = (storage: TokenStorage = memoryStorage()) => ({
    ...binding.create({
      baseURL: API,
      storage,
      now: () => clientNow,
      backoff: { initialMs: 0, maxMs: 0 },
    }),
    storage,
  })
  const advance = (ms: number) => {
    fake.state.now += ms
    clientNow += ms
  }
  return { fake, client, advance }
}

async function tokensIn(storage: TokenStorage): Promise<StoredTokens> {
  const tokens = await storage.get()
  if (tokens === null) throw new Error('expected stored tokens')
  return tokens
}

describe.each(BINDINGS)('the $name binding', (binding) => {
  describe('changePassword', () => {
    it('posts both passwords with the bearer, resolves on 204, and the new password signs in', async () => {
      const { fake, client } = setup(binding)
      const c = client()
      const tokens = await c.auth.login(ada)
      await expect(
        c.auth.changePassword({ currentPassword: CURRENT, newPassword: NEXT }),
      ).resolves.toBeUndefined()
      expect(fake.state.passwordChanges).toEqual([
        {
          token: tokens.accessToken,
          body: { currentPassword: CURRENT, newPassword: NEXT },
          status: 204,
        },
      ])
      await expect(client().auth.login({ username: 'ada', password: NEXT })).resolves.toBeTruthy()
      const old = await fail(client().auth.login(ada))
      expect(isAuthError(old) && old.code).toBe('invalid_credentials')
    })

    it('sends only the two passwords, whatever else the object holds', async () => {
      const { fake, client } = setup(binding)
      const c = client()
      await c.auth.login(ada)
      const passwords = { currentPassword: CURRENT, newPassword: NEXT, confirm: NEXT }
      await c.auth.changePassword(passwords)
      expect(fake.state.passwordChanges[0]?.body).toEqual({
        currentPassword: CURRENT,
        newPassword: NEXT,
      })
    })

    it('keeps this session signed in and ends the other ones', async () => {
      const { fake, client } = setup(binding)
      const laptop = client()
      const phone = client()
      await laptop.auth.login(ada)
      await phone.auth.login(ada)
      await laptop.auth.changePassword({ currentPassword: CURRENT, newPassword: NEXT })
      fake.expireAccessTokens()
      const ended = await fail(phone.get('/api/echo'))
      expect(isAuthError(ended) && ended.code).toBe('session_expired')
      expect((await laptop.get('/api/echo')).status).toBe(200)
      expect(await laptop.auth.isAuthenticated()).toBe(true)
    })

    it('refreshes an access token the server refused, once, and replays the passwords intact', async () => {
      const { fake, client } = setup(binding)
      const c = client()
      await c.auth.login(ada)
      fake.expireAccessTokens()
      await c.auth.changePassword({ currentPassword: CURRENT, newPassword: NEXT })
      expect(fake.state.refreshCalls).toBe(1)
      const current = await tokensIn(c.storage)
      expect(fake.state.passwordChanges.map(({ status, token }) => [status, token])).toEqual([
        [401, expect.not.stringMatching(current.accessToken)],
        [204, current.accessToken],
      ])
      expect(fake.state.passwordChanges[1]?.body).toEqual({
        currentPassword: CURRENT,
        newPassword: NEXT,
      })
    })

    it('refreshes first when the access token is inside the leeway: one request, with the new token', async () => {
      const { fake, client, advance } = setup(binding)
      const c = client()
      await c.auth.login(ada)
      advance(15 * MINUTE)
      await c.auth.changePassword({ currentPassword: CURRENT, newPassword: NEXT })
      expect(fake.state.refreshCalls).toBe(1)
      expect(fake.state.passwordChanges).toEqual([
        expect.objectContaining({ status: 204, token: (await tokensIn(c.storage)).accessToken }),
      ])
    })

    it('a wrong current password is invalid_credentials: no refresh, the session kept', async () => {
      const { fake, client } = setup(binding)
      const c = client()
      const tokens = await c.auth.login(ada)
      const error = await fail(
        c.auth.changePassword({ currentPassword: 'not it at all', newPassword: NEXT }),
      )
      expect(isAuthError(error) && [error.code, error.status, error.retryable]).toEqual([
        'invalid_credentials',
        401,
        false,
      ])
      expect(fake.state.refreshCalls).toBe(0)
      expect(await c.storage.get()).toEqual(tokens)
    })

    it("a refused new password is invalid_request with the server's details", async () => {
      const { client } = setup(binding)
      const c = client()
      await c.auth.login(ada)
      const error = await fail(
        c.auth.changePassword({ currentPassword: CURRENT, newPassword: 'password123' }),
      )
      expect(error).toMatchObject({
        code: 'invalid_request',
        status: 400,
        message: 'password is a commonly used password',
        details: [{ field: 'password', problem: 'is a commonly used password' }],
      })
    })

    it('rate_limited is retryable and carries Retry-After in seconds', async () => {
      const { client } = setup(binding)
      const c = client()
      await c.auth.login(ada)
      msw.use(
        http.post(`${API}/auth/password`, () =>
          HttpResponse.json(
            { error: 'rate_limited', message: 'too many failed attempts' },
            { status: 429, headers: { 'Retry-After': '42' } },
          ),
        ),
      )
      const error = await fail(
        c.auth.changePassword({ currentPassword: CURRENT, newPassword: NEXT }),
      )
      expect(error).toMatchObject({
        code: 'rate_limited',
        status: 429,
        retryable: true,
        retryAfter: 42,
      })
    })
  })

  describe('no secrets in account errors', () => {
    it.each([
      [
        'a wrong current password',
        { currentPassword: 'wrong-SECRET-current-pw', newPassword: NEXT },
      ],
      ['a too weak new password', { currentPassword: CURRENT, newPassword: 'password-SECRET-1' }],
    ])(
      'a password change refused for %s holds neither password nor any token',
      async (_, passwords) => {
        const { fake, client } = setup(binding)
        const c = client()
        const first = await c.auth.login(ada)
        // Refreshed on the way: the tokens before and after are both secrets.
        fake.expireAccessTokens()
        const error = await fail(c.auth.changePassword(passwords))
        expect(isAuthError(error) && error.status).toBeGreaterThanOrEqual(400)
        const now = await tokensIn(c.storage)
        expectNoSecrets(error, [
          CURRENT,
          passwords.currentPassword,
          passwords.newPassword,
          first.accessToken,
          first.refreshToken,
          now.accessToken,
          now.refreshToken,
        ])
      },
    )

    it.each([
      [
        '503',
        () => HttpResponse.json({ error: 'service_unavailable', message: 'down' }, { status: 503 }),
      ],
      ['a network error', () => HttpResponse.error()],
    ] as const)(
      'a password change failing with %s holds neither password nor any token',
      async (_, reply) => {
        const { client } = setup(binding)
        const c = client()
        const tokens = await c.auth.login(ada)
        msw.use(http.post(`${API}/auth/password`, reply))
        const error = await fail(
          c.auth.changePassword({ currentPassword: CURRENT, newPassword: NEXT }),
        )
        expectNoSecrets(error, [CURRENT, NEXT, tokens.accessToken, tokens.refreshToken])
      },
    )

    it.each([
      ['409', () => HttpResponse.json({ error: 'user_exists', message: 'taken' }, { status: 409 })],
      [
        '400 with details',
        () =>
          HttpResponse.json(
            {
              error: 'invalid_request',
              message: 'password is too short',
              details: [{ field: 'password', problem: 'is too short' }],
            },
            { status: 400 },
          ),
      ],
      ['a network error', () => HttpResponse.error()],
    ] as const)('a registration failing with %s holds no password', async (_, reply) => {
      const { client } = setup(binding)
      msw.use(http.post(`${API}/auth/register`, reply))
      const error = await fail(client().auth.register({ username: 'ada', password: NEXT }))
      expectNoSecrets(error, [NEXT])
    })

    it('a login refused after one that gave a device token holds neither the password nor the device token', async () => {
      const { fake, client } = setup(binding, { deviceTokens: true })
      const c = client()
      await c.auth.login(ada)
      await c.auth.logout()
      const error = await fail(c.auth.login({ username: 'ada', password: 'wrong-SECRET-pw' }))
      expect(fake.state.logins.at(-1)).toMatchObject({ deviceToken: 'dt-ada-1' })
      expectNoSecrets(error, ['wrong-SECRET-pw', 'dt-ada-1'])
    })
  })

  describe('device tokens (body transport)', () => {
    it('keeps the deviceToken of a login answer in its own slot, apart from the tokens', async () => {
      const { client } = setup(binding, { deviceTokens: true })
      const c = client()
      await c.auth.login(ada)
      expect(await c.storage.getDeviceToken?.()).toBe('dt-ada-1')
      expect(await c.auth.manager.deviceToken()).toBe('dt-ada-1')
      expect(JSON.stringify(await c.storage.get())).not.toContain('dt-ada-1')
    })

    it('sends it as deviceToken at the next login, after a logout', async () => {
      const { fake, client } = setup(binding, { deviceTokens: true })
      const c = client()
      await c.auth.login(ada)
      await c.auth.logout()
      expect(await c.storage.get()).toBeNull()
      await c.auth.login(ada)
      expect(fake.state.logins).toEqual([{ ...ada }, { ...ada, deviceToken: 'dt-ada-1' }])
      expect(await c.storage.getDeviceToken?.()).toBe('dt-ada-2')
    })

    it('keeps it when the session expires and when storage removes the tokens', async () => {
      const { fake, client } = setup(binding, { deviceTokens: true })
      const c = client()
      await c.auth.login(ada)
      fake.revokeRefreshTokens('ada')
      fake.expireAccessTokens()
      const expired = await fail(c.get('/api/echo'))
      expect(isAuthError(expired) && expired.code).toBe('session_expired')
      expect(await c.storage.get()).toBeNull()
      await c.storage.remove()
      expect(await c.storage.getDeviceToken?.()).toBe('dt-ada-1')
      await c.auth.login(ada)
      expect(fake.state.logins.at(-1)).toEqual({ ...ada, deviceToken: 'dt-ada-1' })
    })

    it('sends the one it holds whoever signs in next, and keeps the newest', async () => {
      const { fake, client } = setup(binding, { deviceTokens: true })
      const c = client()
      await c.auth.login(ada)
      await c.auth.logout()
      await c.auth.login(bob)
      expect(fake.state.logins.at(-1)).toEqual({ ...bob, deviceToken: 'dt-ada-1' })
      expect(await c.auth.manager.deviceToken()).toBe('dt-bob-2')
    })

    it('sends none before a login gave one, and keeps the one it has when an answer brings none', async () => {
      const { fake, client } = setup(binding, { deviceTokens: true })
      const c = client()
      await c.auth.login(ada)
      msw.use(http.post(`${API}/auth/login`, () => HttpResponse.json(fake.issue('ada'))))
      await c.auth.login(ada)
      expect(fake.state.logins).toEqual([{ ...ada }])
      expect(await c.auth.manager.deviceToken()).toBe('dt-ada-1')
    })

    it('keeps it in the client’s memory when the storage has no slot for it', async () => {
      const { fake, client } = setup(binding, { deviceTokens: true })
      let kept: StoredTokens | null = null
      const c = client({
        get: async () => kept,
        set: async (tokens) => {
          kept = tokens
        },
        remove: async () => {
          kept = null
        },
      })
      await c.auth.login(ada)
      await c.auth.logout()
      await c.auth.login(ada)
      expect(fake.state.logins.at(-1)).toEqual({ ...ada, deviceToken: 'dt-ada-1' })
    })
  })
})

describe.each([
  {
    name: 'axios',
    create(storage: TokenStorage) {
      const instance = axios.create({ baseURL: API })
      const credentials: boolean[] = []
      // Registered first, so it runs last: it sees each request as it leaves.
      instance.interceptors.request.use((config) => {
        credentials.push(config.withCredentials === true)
        return config
      })
      const auth = createAuthClient({
        baseURL: API,
        axios: instance,
        storage,
        refreshTokenTransport: 'cookie',
      })
      return { auth, credentials }
    },
  },
  {
    name: 'fetch',
    create(storage: TokenStorage) {
      const credentials: boolean[] = []
      const auth = createAuthFetch({
        baseURL: API,
        storage,
        refreshTokenTransport: 'cookie',
        fetch: (request) => {
          credentials.push(request.credentials === 'include')
          return fetch(request)
        },
      })
      return { auth, credentials }
    },
  },
])('device tokens with the cookie transport, $name binding', ({ create }) => {
  it('logs in with credentials, sends no deviceToken and keeps none, even from an answer that carries one', async () => {
    const bodies: unknown[] = []
    msw.use(
      http.post(`${API}/auth/login`, async ({ request }) => {
        bodies.push(await request.json())
        // A server that puts the device token in the body although the cookie carries it.
        return HttpResponse.json(
          {
            accessToken: `at-${bodies.length}`,
            tokenType: 'Bearer',
            expiresIn: 900,
            refreshExpiresIn: 3600,
            deviceToken: 'dt-in-the-body',
          },
          { headers: { 'Set-Cookie': 'rk_device=dt-cookie; HttpOnly; Secure; Path=/auth' } },
        )
      }),
      http.post(`${API}/auth/logout`, () => new HttpResponse(null, { status: 204 })),
    )
    const storage = memoryStorage()
    const { auth, credentials } = create(storage)
    await auth.login(bob)
    await auth.logout()
    await auth.login(bob)
    expect(bodies).toEqual([bob, bob])
    expect(credentials).toEqual([true, true, true])
    expect(await storage.getDeviceToken?.()).toBeNull()
    expect(await auth.manager.deviceToken()).toBeNull()
    expect(JSON.stringify(await storage.get())).not.toContain('dt-')
  })
})
