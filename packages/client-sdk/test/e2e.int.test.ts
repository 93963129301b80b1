import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createApp,
  createPasswordHasher,
  createRedisStore,
  createTokenKeys,
  createTokenService,
} from '@refresh-kit/server'
import { useTestRedis } from '@refresh-kit/shared/testing'
import axios from 'axios'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuthClient } from '../src/axios/client.js'
import { isAuthError } from '../src/errors.js'
import { memoryStorage } from '../src/storage/memory.js'

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
  const tokens = createTokenService({
    store,
    keys: createTokenKeys({ jwtSecret: 'sdk-e2e-secret-0123456789abcdefghijklmnopqrstuvwxyz' }),
    clock: () => serverNow,
    passwords: createPasswordHasher({ cost: 2 ** 10 }),
    accessTokenTtlSeconds: 2,
  })
  const callback = createApp({ tokens, store }).callback()
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

function client() {
  const storage = memoryStorage()
  const auth = createAuthClient({ baseURL, storage, now: () => clientNow, leewaySeconds: 1 })
  const seen = { sessionExpired: 0 }
  auth.on('sessionExpired', () => {
    seen.sessionExpired += 1
  })
  return { auth, storage, seen }
}

let users = 0
async function signUp(auth: ReturnType<typeof client>['auth']) {
  users += 1
  const credentials = { username: `e2e.${users}.${Date.now()}`, password: 'correct horse battery' }
  await auth.register(credentials)
  return credentials
}

describe('against the real server and Redis', () => {
  it('logs in, outlives a 2-second access token, and sends a burst of 200 with one refresh', async () => {
    const { auth, storage } = client()
    const credentials = await signUp(auth)
    const first = await auth.login(credentials)
    const me = await auth.http.get('/auth/me')
    expect(me.data.username).toBe(credentials.username)

    // Expired for both clocks: the burst refreshes first, once.
    serverNow += PAST_EXPIRY
    clientNow += PAST_EXPIRY
    const before = refreshCalls
    const burst = await Promise.all(Array.from({ length: 200 }, () => auth.http.get('/auth/me')))
    expect(burst.every((answer) => answer.status === 200)).toBe(true)
    expect(refreshCalls - before).toBe(1)
    const second = await storage.get()
    expect(second?.refreshToken).not.toBe(first.refreshToken)

    // Expired on the server only (a client clock behind): 200 answers of 401, then one refresh.
    serverNow += PAST_EXPIRY
    const reactive = await Promise.all(Array.from({ length: 200 }, () => auth.http.get('/auth/me')))
    expect(reactive.every((answer) => answer.data.username === credentials.username)).toBe(true)
    expect(refreshCalls - before).toBe(2)
    clientNow = serverNow
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
    expect((await phone.auth.http.post('/auth/logout-all')).status).toBe(204)

    serverNow += PAST_EXPIRY
    clientNow += PAST_EXPIRY
    const before = refreshCalls
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => laptop.auth.http.get('/auth/me')),
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
})
