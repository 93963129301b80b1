import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { ROUTES } from '@refresh-kit/shared'
import { type ForwardingProxy, startForwardingProxy, useTestRedis } from '@refresh-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordFigure } from '../src/figures.js'
import { type HttpResult, httpRequest } from '../src/http.js'
import { errorCodeOf } from '../src/load.js'
import { crashSigns, type ServerProcess, startServerProcess } from '../src/server-process.js'

// The built server behind a proxy (TRUST_PROXY=1), refresh token in the cookie, every line
// logged (LOG_LEVEL=debug): forwarded entries with ports, a forged Forwarded header and a
// forged forwarded host, malformed bodies full of secrets, and malformed request targets.
const redis = useTestRedis('proxy-input')
/** The host and protocol the proxy serves the API on, as it forwards them. */
const PUBLIC_HOST = 'auth.example.test'
const PUBLIC_ORIGIN = `https://${PUBLIC_HOST}`
const COOKIE_TRANSPORT = { 'x-refresh-token-transport': 'cookie' }

/** A password of its own per user, so a log line holding it can only come from this test. */
const newPassword = () => `Pw-${randomBytes(12).toString('hex')}`
const newUsername = (label: string) => `${label}-${randomBytes(4).toString('hex')}`

/** The proxy in front of the server: its peer entry (with a port) and the public host. */
const startProxy = (
  target: string,
  peer: (port: number) => string,
  family: 'x-forwarded' | 'forwarded' = 'x-forwarded',
) =>
  startForwardingProxy(target, {
    peer: ({ port }) => peer(port),
    forwardedHost: { host: PUBLIC_HOST, proto: 'https' },
    family,
  })

/** One request written byte by byte on a TCP socket, so the request line is exactly `target`. */
function rawRequest(
  port: number,
  method: string,
  target: string,
  json: unknown,
): Promise<{ status: number; head: string; body: unknown }> {
  const payload = JSON.stringify(json)
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.setTimeout(30_000, () => socket.destroy(new Error('no answer within 30 s')))
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const split = text.indexOf('\r\n\r\n')
      const head = text.slice(0, split)
      let body: unknown
      try {
        body = JSON.parse(text.slice(split + 4))
      } catch {
        body = undefined
      }
      resolve({ status: Number(head.split(' ')[1]), head, body })
    })
    socket.write(
      `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n` +
        'X-Refresh-Token-Transport: cookie\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
    )
  })
}

let server: ServerProcess
const proxies: ForwardingProxy[] = []

beforeAll(async () => {
  server = await startServerProcess({
    env: {
      TOKEN_STORE: 'redis',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.keyPrefix,
      TRUST_PROXY: '1',
      REFRESH_TOKEN_TRANSPORT: 'cookie',
      LOG_LEVEL: 'debug',
      LOGIN_MAX_FAILURES: '5',
    },
  })
}, 60_000)

afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()))
  expect(crashSigns(server.stdout() + server.stderr())).toEqual([])
  await server.stop()
})

const post = (url: string, path: string, json: unknown, headers: Record<string, string> = {}) =>
  httpRequest(`${url}${path}`, { method: 'POST', json, headers, timeoutMs: 60_000 })

async function register(label: string): Promise<{ username: string; password: string }> {
  const credentials = { username: newUsername(label), password: newPassword() }
  const res = await post(server.url, ROUTES.register, credentials)
  expect(res.status, res.text).toBe(201)
  return credentials
}

/** The refresh cookie a login or refresh answer set, or `undefined`. */
function refreshCookie(res: HttpResult): string | undefined {
  for (const line of res.headers['set-cookie'] ?? []) {
    const [pair = ''] = line.split(';')
    const equals = pair.indexOf('=')
    const value = pair.slice(equals + 1).trim()
    if (pair.slice(0, equals).trim() === 'rk_refresh' && value !== '') return value
  }
  return undefined
}

async function sessionsOf(credentials: { username: string; password: string }): Promise<number> {
  const login = await post(server.url, ROUTES.login, credentials, COOKIE_TRANSPORT)
  expect(login.status).toBe(200)
  const { accessToken } = login.body as { accessToken: string }
  const list = await httpRequest(`${server.url}${ROUTES.sessions}`, {
    headers: { authorization: `Bearer ${accessToken}` },
  })
  expect(list.status).toBe(200)
  return (list.body as { sessions: unknown[] }).sessions.length
}

/** Six wrong passwords through `proxy`, each claiming a fresh address in `claim(n)`. */
async function wrongGuesses(
  proxy: ForwardingProxy,
  username: string,
  claim: (n: number) => Record<string, string>,
): Promise<number[]> {
  const statuses: number[] = []
  // One after another: the sixth must see the first five counted.
  for (let n = 0; n < 6; n += 1) {
    const res = await post(proxy.url, ROUTES.login, { username, password: `wrong ${n}` }, claim(n))
    statuses.push(res.status)
  }
  return statuses
}

describe('proxy: the entries the trusted proxy appended count, with ports and whatever the client wrote', () => {
  it('X-Forwarded-For entries with ports (ip:port, [v6]:port): five failures of one (username, address) lock it, whatever address the client claims', async () => {
    const kinds = [
      { name: 'ip:port', peer: (port: number) => `127.0.0.1:${port}` },
      { name: '[v6]:port', peer: (port: number) => `[2001:db8:7::1]:${port}` },
    ]
    for (const kind of kinds) {
      const proxy = await startProxy(server.url, kind.peer)
      proxies.push(proxy)
      const victim = await register('port')
      const statuses = await wrongGuesses(proxy, victim.username, (n) => ({
        'x-forwarded-for': `198.51.100.${n + 1}`,
      }))
      const right = await post(proxy.url, ROUTES.login, victim)
      // The owner from another address, sent straight to the server as the proxy would.
      const owner = await post(server.url, ROUTES.login, victim, {
        'x-forwarded-for': '192.0.2.44:51234',
      })
      recordFigure({
        name: `proxy: six wrong passwords behind a proxy writing ${kind.name}`,
        value: statuses.filter((status) => status === 401).length,
        unit: 'verified',
        goal: '5 verified (401), the sixth 429; the right password 429 there, 200 elsewhere',
        detail: `statuses ${statuses.join(' ')}; right password ${right.status}; owner ${owner.status}`,
      })
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429])
      expect(right.status).toBe(429)
      expect(owner.status).toBe(200)
    }
  })

  it('a Forwarded header the client wrote buys no fresh address behind a proxy that writes X-Forwarded-For', async () => {
    const proxy = await startProxy(server.url, (port) => `127.0.0.1:${port}`)
    proxies.push(proxy)
    const victim = await register('fwd')
    const statuses = await wrongGuesses(proxy, victim.username, (n) => ({
      forwarded: `for=198.51.100.${n + 1};proto=https, for="[2001:db8:${n}::1]:4711"`,
    }))
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429])
    const owner = await post(server.url, ROUTES.login, victim, {
      'x-forwarded-for': '192.0.2.45',
    })
    expect(owner.status).toBe(200)
  })

  it('behind a proxy that writes RFC 7239 Forwarded (TRUST_PROXY_HEADER=forwarded): its entry counts, ports included, and client-written entries and X-Forwarded-For buy nothing', async () => {
    const forwardedServer = await startServerProcess({
      env: {
        TOKEN_STORE: 'redis',
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: `${redis.keyPrefix}fwd:`,
        TRUST_PROXY: '1',
        TRUST_PROXY_HEADER: 'forwarded',
        LOGIN_MAX_FAILURES: '5',
      },
    })
    try {
      const proxy = await startProxy(
        forwardedServer.url,
        (port) => `[2001:db8:9::1]:${port}`,
        'forwarded',
      )
      proxies.push(proxy)
      const victim = { username: newUsername('rfc7239'), password: newPassword() }
      expect((await post(forwardedServer.url, ROUTES.register, victim)).status).toBe(201)
      const statuses = await wrongGuesses(proxy, victim.username, (n) => ({
        forwarded: `for=198.51.100.${n + 1}`,
        'x-forwarded-for': `203.0.113.${n + 1}`,
      }))
      const owner = await post(forwardedServer.url, ROUTES.login, victim, {
        forwarded: 'for="192.0.2.46:4711"',
      })
      recordFigure({
        name: 'proxy: six wrong passwords behind a proxy writing Forwarded',
        value: statuses.filter((status) => status === 401).length,
        unit: 'verified',
        goal: '5 verified (401), the sixth 429; the right password 200 from another address',
        detail: `statuses ${statuses.join(' ')}; owner ${owner.status}`,
      })
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429])
      expect(owner.status).toBe(200)
    } finally {
      expect(crashSigns(forwardedServer.stdout() + forwardedServer.stderr())).toEqual([])
      await forwardedServer.stop()
    }
  })

  it('a forged X-Forwarded-Host with Origin: https://evil.example is refused 403 csrf_rejected in cookie mode; the genuine origin refreshes', async () => {
    const proxy = await startProxy(server.url, (port) => `127.0.0.1:${port}`)
    proxies.push(proxy)
    const user = await register('origin')
    const login = await post(proxy.url, ROUTES.login, user, COOKIE_TRANSPORT)
    expect(login.status).toBe(200)
    const cookie = refreshCookie(login)
    expect(cookie).toBeDefined()
    const byCookie = (headers: Record<string, string>) =>
      httpRequest(`${proxy.url}${ROUTES.refresh}`, {
        method: 'POST',
        headers: { ...COOKIE_TRANSPORT, cookie: `rk_refresh=${cookie}`, ...headers },
        timeoutMs: 60_000,
      })
    // The proxy makes these `evil.example, auth.example.test` and `https, https`.
    const forged = await byCookie({
      origin: 'https://evil.example',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    })
    expect(forged.status).toBe(403)
    expect(errorCodeOf(forged.body)).toBe('csrf_rejected')
    const genuine = await byCookie({ origin: PUBLIC_ORIGIN, 'x-forwarded-host': 'evil.example' })
    expect(genuine.status, genuine.text).toBe(200)
    expect(refreshCookie(genuine)).toBeDefined()
  })
})

describe('input: no log line carries a body, a password, a token or a cookie (LOG_LEVEL=debug)', () => {
  it('every malformed body kind is answered 4xx, and the whole log holds none of the secrets it carried', async () => {
    const user = await register('body')
    const login = await post(server.url, ROUTES.login, user, COOKIE_TRANSPORT)
    expect(login.status).toBe(200)
    const refreshToken = refreshCookie(login) ?? ''
    const { accessToken } = login.body as { accessToken: string }
    expect(refreshToken).not.toBe('')
    const secrets = [user.password, refreshToken, accessToken]
    const fields = `"username":"${user.username}","password":"${user.password}","refreshToken":"${refreshToken}"`
    const bodies: { kind: string; type: string; raw: string | Buffer }[] = [
      { kind: 'truncated JSON', type: 'application/json', raw: `{${fields}`.slice(0, -3) },
      { kind: 'invalid JSON', type: 'application/json', raw: `{${fields},}` },
      { kind: 'wrong content type', type: 'text/plain', raw: `{${fields}}` },
      { kind: 'JSON array', type: 'application/json', raw: `[{${fields}}]` },
      {
        kind: 'huge body',
        type: 'application/json',
        raw: `{${fields},"pad":"${'x'.repeat(20_000)}"}`,
      },
      {
        // Bytes that are not UTF-8 inside the values: decoded as U+FFFD, so the values are
        // wrong (401, 409) rather than unparsable, and still hold the secrets.
        kind: 'bad UTF-8',
        type: 'application/json',
        raw: Buffer.concat([
          Buffer.from(`{"username":"${user.username}","password":"${user.password}`),
          Buffer.from([0xff, 0xfe]),
          Buffer.from(`","refreshToken":"${refreshToken}`),
          Buffer.from([0xc3]),
          Buffer.from('"}'),
        ]),
      },
    ]
    const answers: string[] = []
    for (const path of [ROUTES.login, ROUTES.refresh, ROUTES.register]) {
      for (const body of bodies) {
        const res = await httpRequest(`${server.url}${path}`, {
          method: 'POST',
          raw: body.raw,
          headers: {
            'content-type': body.type,
            ...COOKIE_TRANSPORT,
            cookie: `rk_refresh=${refreshToken}`,
            authorization: `Bearer ${accessToken}`,
            origin: 'https://evil.example',
          },
          timeoutMs: 60_000,
        })
        answers.push(`${path} ${body.kind}: ${res.status}`)
        expect(res.status, `${path} ${body.kind}`).toBeGreaterThanOrEqual(400)
        expect(res.status, `${path} ${body.kind}`).toBeLessThan(500)
      }
    }
    // The same secrets in well-formed requests work, so the server did receive them.
    const me = await httpRequest(`${server.url}${ROUTES.me}`, {
      headers: { authorization: `Bearer ${accessToken}` },
    })
    expect(me.status).toBe(200)
    const refreshed = await post(server.url, ROUTES.refresh, { refreshToken }, COOKIE_TRANSPORT)
    expect(refreshed.status, refreshed.text).toBe(200)
    const again = await post(server.url, ROUTES.login, user, COOKIE_TRANSPORT)
    expect(again.status).toBe(200)
    const log = server.stdout() + server.stderr()
    const found = secrets.filter((secret) => log.includes(secret))
    recordFigure({
      name: 'input: secrets of malformed bodies found in the debug log',
      value: found.length,
      unit: 'secrets',
      goal: '0 (password, refresh token, access token)',
      detail: answers.join('; '),
    })
    // The log did record these requests, at debug, just not what they carried.
    expect(log).toContain('"level":"debug"')
    expect(log).toContain('the request body is not valid JSON')
    expect(found).toEqual([])
  })
})

describe('input: a malformed request target is 400 invalid_request, before any session is created', () => {
  it('absolute-form targets with a bad host or port, on a raw socket: 400 with the error body, no cookie, no session', async () => {
    const user = await register('target')
    const targets = [
      'http://[/auth/login',
      'http://x:99999/auth/login',
      'http://x:port/auth/login',
      'http://exa%mple/auth/login',
      'ftp://x/auth/login',
      'http://[/auth/refresh',
      'http://x:99999/auth/refresh',
    ]
    for (const target of targets) {
      const res = await rawRequest(server.port, 'POST', target, user)
      expect(res.status, target).toBe(400)
      expect(res.body, target).toEqual({
        error: 'invalid_request',
        message: 'the request target is malformed',
      })
      expect(res.head.toLowerCase(), target).not.toContain('set-cookie')
    }
    // The login that lists the sessions is the only one the user has.
    expect(await sessionsOf(user)).toBe(1)
  })
})
