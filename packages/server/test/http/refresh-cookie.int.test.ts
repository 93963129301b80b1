import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { useTestRedis } from '@refresh-kit/testing'
import { parseSetCookie, type SetCookie } from 'cookie'
import Koa from 'koa'
import mount from 'koa-mount'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import { silentLogger } from '../../src/logger.js'
import { createServerFromConfig } from '../../src/server.js'
import { cheapPasswords, type ManualClock, manualClock } from '../support/harness.js'

const redis = useTestRedis('cookie-transport')
const PAGE = 'http://localhost:5173'
const COOKIE = { 'X-Refresh-Token-Transport': 'cookie' }
const JSON_TYPE = { 'Content-Type': 'application/json' }

interface Running {
  url: string
  clock: ManualClock
  /** `POST .../refresh` answers with a status below 300: rotations the server made. */
  rotations(): number
}

const servers: Server[] = []
afterAll(async () => {
  for (const server of servers) server.closeAllConnections()
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
})

/**
 * The server as `main.ts` assembles it (environment → config → store, service, app) on the
 * test Redis, listening on a real port so browsers' cookie and origin headers are plain HTTP.
 */
async function start(env: Record<string, string> = {}, prefix = ''): Promise<Running> {
  const clock = manualClock(Date.now())
  const config = loadConfig({
    JWT_SECRET: randomBytes(48).toString('base64url'),
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: `${redis.keyPrefix}${randomBytes(3).toString('hex')}:`,
    CORS_ORIGINS: PAGE,
    LOG_LEVEL: 'silent',
    ...env,
  })
  const built = createServerFromConfig(config, {
    redis: redis.client(),
    logger: silentLogger,
    clock,
    passwords: cheapPasswords,
  })
  let rotations = 0
  built.app.use(async (ctx, next) => {
    await next()
    if (ctx.path === '/auth/refresh' && ctx.status < 300) rotations += 1
  })
  // Counted innermost: a 403 answered before the route never reaches it.
  built.app.middleware.unshift(built.app.middleware.pop() as Koa.Middleware)
  const outer = new Koa()
  outer.use(prefix === '' ? mount(built.app) : mount(prefix, built.app))
  const server = createServer(outer.callback())
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`
  return { url, clock, rotations: () => rotations }
}

let users = 0
async function signIn(
  server: Running,
  headers: Record<string, string> = COOKIE,
): Promise<{ response: Response; body: Record<string, string>; cookie: SetCookie }> {
  users += 1
  const credentials = JSON.stringify({
    username: `cookie-${users}-${randomBytes(3).toString('hex')}`,
    password: 'correct horse battery',
  })
  const registered = await fetch(`${server.url}/auth/register`, {
    method: 'POST',
    headers: JSON_TYPE,
    body: credentials,
  })
  expect(registered.status).toBe(201)
  const response = await fetch(`${server.url}/auth/login`, {
    method: 'POST',
    headers: { ...JSON_TYPE, ...headers },
    body: credentials,
  })
  expect(response.status).toBe(200)
  return { response, body: await json(response), cookie: setCookie(response) }
}

/** The refresh cookie an answer sets: exactly one, beside a login's device cookie. */
function setCookie(response: Response): SetCookie {
  const all = response.headers
    .getSetCookie()
    .map((raw) => parseSetCookie(raw))
    .filter((cookie) => cookie.name !== 'rk_device')
  expect(all).toHaveLength(1)
  return all[0] as SetCookie
}

const post = (
  server: Running,
  path: string,
  options: { cookie?: string | undefined; headers?: Record<string, string>; body?: unknown } = {},
) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: {
      ...(options.body === undefined ? {} : JSON_TYPE),
      ...(options.cookie === undefined ? {} : { Cookie: `rk_refresh=${options.cookie}` }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })

const refreshByCookie = (server: Running, cookie: string, headers: Record<string, string> = {}) =>
  post(server, '/auth/refresh', { cookie, headers: { ...COOKIE, ...headers } })

/** A JSON answer; the fields a test reads are strings or numbers it then checks. */
const json = async (response: Response) => (await response.json()) as Record<string, string>

async function expectError(response: Response, status: number, error: string) {
  expect(response.status).toBe(status)
  expect(await json(response)).toMatchObject({ error, message: expect.any(String) })
}

describe('login with the cookie transport', () => {
  it('sets the HttpOnly refresh cookie with the contract attributes and keeps the token out of the body', async () => {
    const server = await start()
    const { response, body, cookie } = await signIn(server)
    expect(Object.keys(body).sort()).toEqual([
      'accessToken',
      'expiresIn',
      'refreshExpiresIn',
      'tokenType',
    ])
    const raw = response.headers.getSetCookie()[0] as string
    expect(raw.split('; ').slice(1).sort()).toEqual(
      ['HttpOnly', 'Max-Age=604800', 'Path=/auth', 'SameSite=Strict', 'Secure'].sort(),
    )
    expect(cookie).toMatchObject({
      name: 'rk_refresh',
      httpOnly: true,
      secure: true,
      sameSite: 'strict',
      path: '/auth',
      maxAge: body.refreshExpiresIn,
    })
    expect(cookie.domain).toBeUndefined()
    expect(cookie.value).toMatch(/^rk1\./)
    expect(response.headers.get('cache-control')).toBe('no-store')
  })

  it('hands the browser the device cookie rk_device, HttpOnly, for a year, and no deviceToken in the body', async () => {
    const server = await start()
    const { response, body } = await signIn(server)
    expect(body.deviceToken).toBeUndefined()
    const device = response.headers
      .getSetCookie()
      .map((raw) => parseSetCookie(raw))
      .find((cookie) => cookie.name === 'rk_device')
    expect(device).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: 'strict',
      path: '/auth',
      maxAge: 365 * 24 * 60 * 60,
    })
    expect(device?.value).toMatch(/^rkd1\./)
    // A refresh is no login: it leaves the device cookie alone.
    const refreshed = await post(server, '/auth/refresh', {
      cookie: setCookie(response).value,
      headers: COOKIE,
    })
    expect(refreshed.status).toBe(200)
    expect(refreshed.headers.getSetCookie().some((raw) => raw.startsWith('rk_device='))).toBe(false)
  })

  it('follows REFRESH_COOKIE_NAME, COOKIE_SECURE, COOKIE_SAMESITE and COOKIE_DOMAIN', async () => {
    const server = await start({
      REFRESH_COOKIE_NAME: '__Secure-app_rt',
      COOKIE_SAMESITE: 'none',
      COOKIE_DOMAIN: 'example.test',
      REFRESH_TOKEN_TTL: '3600',
    })
    const { cookie } = await signIn(server)
    expect(cookie).toMatchObject({
      name: '__Secure-app_rt',
      secure: true,
      sameSite: 'none',
      domain: 'example.test',
      maxAge: 3600,
    })
    const plain = await start({ COOKIE_SECURE: 'false', COOKIE_SAMESITE: 'lax' })
    const { response } = await signIn(plain)
    const raw = response.headers.getSetCookie()[0] as string
    expect(raw).not.toMatch(/Secure/i)
    expect(raw).toContain('SameSite=Lax')
  })

  it('answers in the body without the header, as v1 did, when the server lets the client choose', async () => {
    const server = await start()
    const credentials = {
      username: `v1-${randomBytes(3).toString('hex')}`,
      password: 'correct horse battery staple',
    }
    await post(server, '/auth/register', { body: credentials })
    const login = await post(server, '/auth/login', { body: credentials })
    expect(login.status).toBe(200)
    expect(login.headers.getSetCookie()).toEqual([])
    const { refreshToken } = await json(login)
    expect(refreshToken).toMatch(/^rk1\./)
    const refresh = await post(server, '/auth/refresh', { body: { refreshToken } })
    expect(refresh.status).toBe(200)
    expect(refresh.headers.getSetCookie()).toEqual([])
    expect((await json(refresh)).refreshToken).toMatch(/^rk1\./)
    await expectError(await post(server, '/auth/refresh', { body: {} }), 400, 'invalid_request')
  })

  it('refuses a transport header it does not know with 400 before creating a session', async () => {
    const server = await start()
    const credentials = {
      username: `bad-${randomBytes(3).toString('hex')}`,
      password: 'correct horse battery staple',
    }
    await post(server, '/auth/register', { body: credentials })
    const login = await post(server, '/auth/login', {
      body: credentials,
      headers: { 'X-Refresh-Token-Transport': 'header' },
    })
    await expectError(login, 400, 'invalid_request')
    expect(login.headers.getSetCookie()).toEqual([])
  })
})

describe('refresh and logout through the cookie', () => {
  it('rotates the cookie on refresh, the body without a refresh token, and the new access token works', async () => {
    const server = await start()
    const { cookie } = await signIn(server)
    const response = await refreshByCookie(server, cookie.value as string, { Origin: PAGE })
    expect(response.status).toBe(200)
    const body = await json(response)
    expect(body.refreshToken).toBeUndefined()
    const next = setCookie(response)
    expect(next).toMatchObject({ name: 'rk_refresh', httpOnly: true, path: '/auth' })
    expect(next.value).not.toBe(cookie.value)
    const me = await fetch(`${server.url}/auth/me`, {
      headers: { Authorization: `Bearer ${body.accessToken}` },
    })
    expect(me.status).toBe(200)
    expect(server.rotations()).toBe(1)
  })

  it("accepts the server's own origin and the CORS_ORIGINS ones", async () => {
    const server = await start()
    let { value } = (await signIn(server)).cookie
    for (const origin of [new URL(server.url).origin, PAGE]) {
      const response = await refreshByCookie(server, value as string, { Origin: origin })
      expect(response.status, origin).toBe(200)
      value = setCookie(response).value
    }
  })

  it('logs out through the cookie: 204, the cookie cleared, the session gone', async () => {
    const server = await start()
    const { cookie } = await signIn(server)
    const response = await post(server, '/auth/logout', { cookie: cookie.value, headers: COOKIE })
    expect(response.status).toBe(204)
    const cleared = setCookie(response)
    expect(cleared).toMatchObject({ name: 'rk_refresh', value: '', maxAge: 0, path: '/auth' })
    const refused = await refreshByCookie(server, cookie.value as string)
    await expectError(refused, 401, 'invalid_refresh_token')
    expect(setCookie(refused)).toMatchObject({ value: '', maxAge: 0, path: '/auth' })
  })

  it('answers 401 and clears the cookie when the header asks for a cookie that is not there, and logout still answers 204', async () => {
    const server = await start()
    const refresh = await post(server, '/auth/refresh', { headers: COOKIE })
    await expectError(refresh, 401, 'invalid_refresh_token')
    expect(setCookie(refresh).maxAge).toBe(0)
    const logout = await post(server, '/auth/logout', { headers: COOKIE })
    expect(logout.status).toBe(204)
    expect(setCookie(logout).maxAge).toBe(0)
  })

  it('refuses a forged or oversized cookie with 401 and clears it', async () => {
    const server = await start()
    for (const value of ['rk1.forged.token.0.mac', 'x'.repeat(4000)]) {
      const response = await refreshByCookie(server, value)
      await expectError(response, 401, 'invalid_refresh_token')
      expect(setCookie(response).maxAge).toBe(0)
    }
  })

  it('reads the body first: a body token wins over the cookie', async () => {
    const server = await start()
    const a = await signIn(server)
    const b = await signIn(server)
    const response = await post(server, '/auth/refresh', {
      cookie: a.cookie.value,
      headers: COOKIE,
      body: { refreshToken: b.cookie.value },
    })
    expect(response.status).toBe(200)
    const { accessToken } = await json(response)
    const me = await fetch(`${server.url}/auth/me`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    })
    expect((await json(me)).username).toMatch(/^cookie-/)
    // A's cookie was not used: it still rotates.
    expect((await refreshByCookie(server, a.cookie.value as string)).status).toBe(200)
  })
})

describe('CSRF defence', () => {
  it('refuses a cookie refresh without the transport header: 403 csrf_rejected, nothing rotated, the session untouched', async () => {
    const server = await start()
    const { cookie } = await signIn(server)
    const response = await post(server, '/auth/refresh', { cookie: cookie.value })
    await expectError(response, 403, 'csrf_rejected')
    expect(response.headers.getSetCookie()).toEqual([])
    expect(server.rotations()).toBe(0)
    // Still the current token: it rotates normally (no reuse was recorded).
    expect((await refreshByCookie(server, cookie.value as string)).status).toBe(200)
    expect(server.rotations()).toBe(1)
  })

  it('refuses a cookie refresh and logout from an origin that is not allowed, even with the header', async () => {
    const server = await start()
    const { cookie } = await signIn(server)
    for (const origin of ['https://evil.example', 'http://localhost:5174', 'null']) {
      const refresh = await refreshByCookie(server, cookie.value as string, { Origin: origin })
      expect(refresh.status, origin).toBe(403)
      await expectError(refresh, 403, 'csrf_rejected')
      expect(refresh.headers.get('access-control-allow-origin')).toBeNull()
      const logout = await post(server, '/auth/logout', {
        cookie: cookie.value,
        headers: { ...COOKIE, Origin: origin },
      })
      await expectError(logout, 403, 'csrf_rejected')
      expect(logout.headers.getSetCookie()).toEqual([])
    }
    // A cross-site form post: text/plain, no header, a foreign origin.
    const form = await fetch(`${server.url}/auth/logout`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Cookie: `rk_refresh=${cookie.value}`,
        Origin: 'https://evil.example',
      },
      body: 'refresh=1',
    })
    await expectError(form, 403, 'csrf_rejected')
    expect(server.rotations()).toBe(0)
    // The session survived every attempt.
    expect((await refreshByCookie(server, cookie.value as string)).status).toBe(200)
  })

  it('tells a refused origin which origin it came from, which the server expects, and to list it in CORS_ORIGINS', async () => {
    const server = await start()
    const { cookie } = await signIn(server)
    const refused = await refreshByCookie(server, cookie.value as string, {
      Origin: 'http://localhost:5174',
    })
    expect(refused.status).toBe(403)
    expect(await json(refused)).toEqual({
      error: 'csrf_rejected',
      message:
        'this origin may not use the refresh cookie: the request came from http://localhost:5174 ' +
        `and the server expects ${server.url} or the origin listed in CORS_ORIGINS; ` +
        "a dev proxy that rewrites Host needs the page's origin in CORS_ORIGINS",
    })
  })

  it('takes the host a trusted proxy forwarded as its own origin (regression: a page served on one origin with the API behind its forwarding was refused 403)', async () => {
    const forwarded = { 'X-Forwarded-Host': 'app.example.test', 'X-Forwarded-For': '203.0.113.9' }
    const page = { ...forwarded, Origin: 'http://app.example.test' }
    const behindProxy = await start({ TRUST_PROXY: '1' })
    const first = (await signIn(behindProxy)).cookie
    expect((await refreshByCookie(behindProxy, first.value as string, page)).status).toBe(200)
    // Without a trusted proxy, the same headers are the client's own words: refused.
    const direct = await start()
    const second = (await signIn(direct)).cookie
    await expectError(
      await refreshByCookie(direct, second.value as string, page),
      403,
      'csrf_rejected',
    )
    expect(direct.rotations()).toBe(0)
  })

  it('reads the forwarded host from the trusted hops end (regression: a client-written left-most X-Forwarded-Host passed the origin check)', async () => {
    for (const [hops, hosts] of [
      ['1', 'evil.example, api.example.test'],
      ['2', 'evil.example, api.example.test, api.internal'],
    ] as const) {
      const server = await start({ TRUST_PROXY: hops })
      const { cookie } = await signIn(server)
      const forged = { 'X-Forwarded-Host': hosts, Origin: 'http://evil.example' }
      await expectError(
        await refreshByCookie(server, cookie.value as string, forged),
        403,
        'csrf_rejected',
      )
      expect(server.rotations()).toBe(0)
      const genuine = { 'X-Forwarded-Host': hosts, Origin: 'http://api.example.test' }
      expect((await refreshByCookie(server, cookie.value as string, genuine)).status).toBe(200)
    }
  })

  it('refuses a cookie logout without the header and revokes nothing', async () => {
    const server = await start()
    const { cookie } = await signIn(server)
    const logout = await post(server, '/auth/logout', { cookie: cookie.value })
    await expectError(logout, 403, 'csrf_rejected')
    expect((await refreshByCookie(server, cookie.value as string)).status).toBe(200)
  })
})

describe('rotation through the cookie', () => {
  it('a rotated cookie replayed after the grace window: 401 refresh_token_reused, cleared, and the successor dead', async () => {
    const server = await start({ REFRESH_REUSE_GRACE: '10' })
    const { cookie } = await signIn(server)
    const first = await refreshByCookie(server, cookie.value as string)
    const successor = setCookie(first).value as string
    server.clock.advance(11)
    const replay = await refreshByCookie(server, cookie.value as string)
    await expectError(replay, 401, 'refresh_token_reused')
    expect(setCookie(replay)).toMatchObject({ value: '', maxAge: 0 })
    const dead = await refreshByCookie(server, successor)
    await expectError(dead, 401, 'invalid_refresh_token')
  })

  it('50 parallel refreshes of one cookie rotate once: every answer carries the same successor', async () => {
    const server = await start()
    const { cookie } = await signIn(server)
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => refreshByCookie(server, cookie.value as string)),
    )
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200))
    const successors = new Set(answers.map((answer) => setCookie(answer).value))
    expect(successors.size).toBe(1)
    const [successor] = successors
    expect(successor).not.toBe(cookie.value)
    expect((await refreshByCookie(server, successor as string)).status).toBe(200)
  })
})

describe('REFRESH_TOKEN_TRANSPORT', () => {
  it('body: the header changes nothing, no cookie is set or read', async () => {
    const server = await start({ REFRESH_TOKEN_TRANSPORT: 'body' })
    const credentials = {
      username: `body-${randomBytes(3).toString('hex')}`,
      password: 'correct horse battery staple',
    }
    await post(server, '/auth/register', { body: credentials })
    const login = await post(server, '/auth/login', { body: credentials, headers: COOKIE })
    expect(login.status).toBe(200)
    expect(login.headers.getSetCookie()).toEqual([])
    const { refreshToken } = await json(login)
    expect(refreshToken).toMatch(/^rk1\./)
    await expectError(await refreshByCookie(server, refreshToken as string), 400, 'invalid_request')
    const refresh = await post(server, '/auth/refresh', { body: { refreshToken }, headers: COOKIE })
    expect(refresh.status).toBe(200)
    expect(refresh.headers.getSetCookie()).toEqual([])
    expect((await json(refresh)).refreshToken).toMatch(/^rk1\./)
  })

  it('cookie: the cookie even without the header', async () => {
    const server = await start({ REFRESH_TOKEN_TRANSPORT: 'cookie' })
    const { body, cookie } = await signIn(server, {})
    expect(body.refreshToken).toBeUndefined()
    expect(cookie.value).toMatch(/^rk1\./)
    // Authenticated by the cookie, the header is still required.
    await expectError(
      await post(server, '/auth/refresh', { cookie: cookie.value }),
      403,
      'csrf_rejected',
    )
  })
})

describe('mounted under a path prefix', () => {
  it('scopes the cookie to the prefixed path and reads it back there', async () => {
    const server = await start({}, '/api/v1')
    const { cookie } = await signIn(server)
    expect(cookie.path).toBe('/api/v1/auth')
    const response = await refreshByCookie(server, cookie.value as string)
    expect(response.status).toBe(200)
    expect(setCookie(response).path).toBe('/api/v1/auth')
    const logout = await post(server, '/auth/logout', {
      cookie: setCookie(response).value,
      headers: COOKIE,
    })
    expect(setCookie(logout)).toMatchObject({ path: '/api/v1/auth', maxAge: 0 })
  })
})
