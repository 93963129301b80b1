import { randomBytes } from 'node:crypto'
import { ROUTES, type TokenResponse } from '@refresh-kit/shared'
import { useTestRedis } from '@refresh-kit/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { recordFigure } from '../src/figures.js'
import { type HttpResult, httpRequest } from '../src/http.js'
import { errorCodeOf } from '../src/load.js'
import { crashSigns, type ServerProcess, startServerProcess } from '../src/server-process.js'
import { maximum, median, sleep } from '../src/stats.js'

// The attacks of the security review, each against the built server on Redis with the
// default password hashing: what they got from 1.1 is what they must no longer get.
const redis = useTestRedis('hardening')
const servers: ServerProcess[] = []

afterAll(async () => {
  for (const server of servers) {
    expect(crashSigns(server.stdout() + server.stderr())).toEqual([])
    await server.stop()
  }
})

async function start(env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await startServerProcess({
    env: {
      TOKEN_STORE: 'redis',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `${redis.keyPrefix}${servers.length}:`,
      ...env,
    },
  })
  servers.push(server)
  return server
}

const PASSWORD = 'correct horse battery staple'
const NEW_PASSWORD = 'violet tractor orbit 42'
const uniqueName = (label: string) => `${label}-${randomBytes(4).toString('hex')}`

const post = (url: string, path: string, json: unknown, headers: Record<string, string> = {}) =>
  httpRequest(`${url}${path}`, { method: 'POST', json, headers, timeoutMs: 60_000 })
const get = (url: string, path: string, accessToken: string) =>
  httpRequest(`${url}${path}`, { headers: { authorization: `Bearer ${accessToken}` } })

async function signUp(url: string, label: string, headers: Record<string, string> = {}) {
  const username = uniqueName(label)
  const registered = await post(url, ROUTES.register, { username, password: PASSWORD }, headers)
  expect(registered.status, registered.text).toBe(201)
  const login = await post(url, ROUTES.login, { username, password: PASSWORD }, headers)
  expect(login.status, login.text).toBe(200)
  return { username, pair: login.body as TokenResponse }
}

const count = (results: readonly HttpResult[]) => {
  const counts: Record<number, number> = {}
  for (const { status } of results) counts[status] = (counts[status] ?? 0) + 1
  return counts
}

/** `/healthz` every 20 ms until `stop()`; the latencies it saw. */
function probeHealth(url: string) {
  const latencies: number[] = []
  let running = true
  const loop = (async () => {
    while (running) {
      const res = await httpRequest(`${url}/healthz`, { timeoutMs: 10_000 })
      latencies.push(res.status === 200 ? res.ms : 10_000)
      await sleep(20)
    }
  })()
  return {
    stop: async () => {
      running = false
      await loop
      return latencies
    },
  }
}

describe('the password-strength check: behind the limit, off the event loop', () => {
  it('four loops of 128-character weak passwords from one address: REGISTER_RATE_LIMIT of them judged (400), the rest 429, and /healthz unmoved', async () => {
    const server = await start({ REGISTER_RATE_LIMIT: '10' })
    const quiet = await probeHealth(server.url)
    await sleep(500)
    const before = await quiet.stop()
    const probe = probeHealth(server.url)
    const weak = ['1qaz2wsx', 'password', 'qwertyui', 'abcd1234']
    const answers = (
      await Promise.all(
        weak.map(async (pattern, loop) => {
          const results: HttpResult[] = []
          for (let n = 0; n < 15; n++) {
            results.push(
              await post(server.url, ROUTES.register, {
                username: `weak-${loop}-${n}-${randomBytes(2).toString('hex')}`,
                password: pattern.repeat(16),
              }),
            )
          }
          return results
        }),
      )
    ).flat()
    const during = await probe.stop()
    const counts = count(answers)
    recordFigure({
      name: 'hardening: /healthz during a flood of weak 128-character registrations',
      value: Math.round(maximum(during)),
      unit: 'ms (max)',
      goal: 'the flood is cut at REGISTER_RATE_LIMIT (10 judged, the rest 429) and /healthz stays near its quiet latency (1.1: 0.5 to 1.4 s)',
      detail: `quiet median ${median(before).toFixed(1)} ms, during: median ${median(during).toFixed(1)} ms, max ${maximum(during).toFixed(1)} ms over ${during.length} probes; answers ${JSON.stringify(counts)}`,
    })
    expect(counts[400]).toBe(10)
    expect(counts[429]).toBe(50)
    for (const res of answers.filter((answer) => answer.status === 429)) {
      expect(errorCodeOf(res.body)).toBe('rate_limited')
    }
    expect(maximum(during)).toBeLessThan(500)
  })

  it('with the registration limit off, parallel 1 KiB patterned passwords are judged on a worker: /healthz keeps answering', async () => {
    const server = await start({ REGISTER_RATE_LIMIT: '0' })
    const probe = probeHealth(server.url)
    const answers = (
      await Promise.all(
        Array.from({ length: 4 }, async (_, loop) => {
          const results: HttpResult[] = []
          for (let n = 0; n < 8; n++) {
            results.push(
              await post(server.url, ROUTES.register, {
                username: `kib-${loop}-${n}-${randomBytes(2).toString('hex')}`,
                password: '1qaz2wsx'.repeat(128),
              }),
            )
          }
          return results
        }),
      )
    ).flat()
    const during = await probe.stop()
    recordFigure({
      name: 'hardening: /healthz while 1 KiB weak passwords are judged without a limit',
      value: Math.round(maximum(during)),
      unit: 'ms (max)',
      goal: 'every weak password refused 400 (or 503 when the hash queue is full), /healthz unmoved',
      detail: `median ${median(during).toFixed(1)} ms over ${during.length} probes; answers ${JSON.stringify(count(answers))}`,
    })
    expect(answers.every((res) => res.status === 400 || res.status === 503)).toBe(true)
    expect(maximum(during)).toBeLessThan(500)
  })
})

describe('a login racing a password change', () => {
  it('a login with the old password started 0 to 1200 ms after the change, from another address, never keeps a live session', async () => {
    const server = await start({ TRUST_PROXY: '1' })
    const outcomes: string[] = []
    // Up to the length of the change itself (two hashes): early logins create their session
    // before the change and are ended by it, later ones verify the old password before it and
    // try to create their session after.
    for (const delay of [0, 100, 300, 600, 900, 1200]) {
      const { username, pair } = await signUp(server.url, 'race', {
        'x-forwarded-for': '198.51.100.1',
      })
      const change = post(
        server.url,
        ROUTES.password,
        { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
        { authorization: `Bearer ${pair.accessToken}`, 'x-forwarded-for': '198.51.100.1' },
      )
      await sleep(delay)
      const login = await post(
        server.url,
        ROUTES.login,
        { username, password: PASSWORD },
        { 'x-forwarded-for': '203.0.113.77' },
      )
      expect((await change).status).toBe(204)
      if (login.status === 200) {
        const racing = login.body as TokenResponse
        const me = await get(server.url, ROUTES.me, racing.accessToken)
        const refresh = await post(server.url, ROUTES.refresh, {
          refreshToken: racing.refreshToken,
        })
        outcomes.push(`${delay} ms: login 200, then me ${me.status}, refresh ${refresh.status}`)
        expect(me.status).toBe(401)
        expect(refresh.status).toBe(401)
      } else {
        outcomes.push(`${delay} ms: login ${login.status}`)
        expect(login.status).toBe(401)
      }
      // The session that changed the password is the one left.
      const sessions = await get(server.url, ROUTES.sessions, pair.accessToken)
      expect((sessions.body as { sessions: unknown[] }).sessions).toHaveLength(1)
    }
    recordFigure({
      name: 'hardening: logins with the old password racing a password change',
      value: 0,
      unit: 'live sessions left',
      goal: 'no racing login keeps a live session (1.1: its access and refresh tokens both worked)',
      detail: outcomes.join('; '),
    })
  })
})

describe('the hash queue under a flood from many addresses', () => {
  it('160 logins from 160 addresses, one each: a real user from another address is answered before the flood has drained, not 503', async () => {
    const server = await start({ TRUST_PROXY: '1', PASSWORD_HASH_QUEUE: '32' })
    const { username } = await signUp(server.url, 'queue', { 'x-forwarded-for': '192.0.2.200' })
    let answered = 0
    const flood = Array.from({ length: 160 }, (_, n) =>
      post(
        server.url,
        ROUTES.login,
        { username: `nobody-${n}`, password: 'a wrong password' },
        { 'x-forwarded-for': `10.${n >> 8}.${n & 255}.7` },
      ).then((res) => {
        answered += 1
        return res
      }),
    )
    // Let the flood fill the queue first.
    await sleep(1000)
    const real = await post(
      server.url,
      ROUTES.login,
      { username, password: PASSWORD },
      { 'x-forwarded-for': '198.51.100.200' },
    )
    const pendingWhenAnswered = 160 - answered
    const counts = count(await Promise.all(flood))
    recordFigure({
      name: 'hardening: a real login during a flood of 160 addresses, one login each',
      value: real.ms,
      unit: 'ms',
      goal: 'answered 200 while the flood still waits (1.1: 503 at once)',
      detail: `status ${real.status}, ${pendingWhenAnswered} flood logins still unanswered then; flood answers ${JSON.stringify(counts)}`,
    })
    expect(real.status).toBe(200)
    // Ahead of the flood's waiting logins, not behind them.
    expect(pendingWhenAnswered).toBeGreaterThan(10)
    expect((counts[401] ?? 0) + (counts[503] ?? 0)).toBe(160)
  })
})

describe('failures per account and per address, without a lockout by strangers', () => {
  it('30 guesses from 30 /64s: 10 verified, 20 refused; then the owner from a known device 200 (body and cookie), an unknown device with the right password 429', async () => {
    const server = await start({ TRUST_PROXY: '1' })
    const { username, pair } = await signUp(server.url, 'spread', {
      'x-forwarded-for': '192.0.2.10',
    })
    // A browser of the owner's, in the cookie transport: its device cookie.
    const browser = await post(
      server.url,
      ROUTES.login,
      { username, password: PASSWORD },
      { 'x-forwarded-for': '192.0.2.11', 'x-refresh-token-transport': 'cookie' },
    )
    const deviceCookie = (browser.headers['set-cookie'] ?? [])
      .map((line) => line.split(';')[0] ?? '')
      .find((cookie) => cookie.startsWith('rk_device='))
    expect(deviceCookie).toMatch(/^rk_device=rkd1\./)
    const guesses: number[] = []
    for (let n = 0; n < 30; n++) {
      const res = await post(
        server.url,
        ROUTES.login,
        { username, password: `wrong guess ${n}` },
        { 'x-forwarded-for': `2001:db8:${(n + 1).toString(16)}::1` },
      )
      guesses.push(res.status)
    }
    const from = { 'x-forwarded-for': '2001:db8:ffff::1' }
    const stranger = await post(server.url, ROUTES.login, { username, password: PASSWORD }, from)
    const known = await post(
      server.url,
      ROUTES.login,
      { username, password: PASSWORD, deviceToken: pair.deviceToken },
      from,
    )
    const knownBrowser = await post(
      server.url,
      ROUTES.login,
      { username, password: PASSWORD },
      { ...from, cookie: deviceCookie ?? '', 'x-refresh-token-transport': 'cookie' },
    )
    recordFigure({
      name: 'hardening: 30 guesses at one account from 30 /64s',
      value: guesses.filter((status) => status === 401).length,
      unit: 'verified',
      goal: 'LOGIN_MAX_FAILURES_PER_USER (10) verified, the rest 429; the known device 200, a stranger 429 (1.1: all 30 verified)',
      detail: `401: ${guesses.filter((s) => s === 401).length}, 429: ${guesses.filter((s) => s === 429).length}; stranger ${stranger.status}, known device ${known.status}, known browser ${knownBrowser.status}`,
    })
    expect(guesses.filter((status) => status === 401)).toHaveLength(10)
    expect(guesses.filter((status) => status === 429)).toHaveLength(20)
    expect(stranger.status).toBe(429)
    expect(known.status).toBe(200)
    expect(knownBrowser.status).toBe(200)
  })

  it('strangers behind one NAT address use up its failure limit: a known device there still gets in, an unknown one waits', async () => {
    const server = await start({ TRUST_PROXY: '1', LOGIN_MAX_FAILURES_PER_ADDRESS: '5' })
    const nat = { 'x-forwarded-for': '203.0.113.99' }
    const { username, pair } = await signUp(server.url, 'nat', nat)
    for (let n = 0; n < 5; n++) {
      const res = await post(
        server.url,
        ROUTES.login,
        { username: `someone-${n}`, password: 'a wrong password' },
        nat,
      )
      expect(res.status).toBe(401)
    }
    const unknown = await post(server.url, ROUTES.login, { username, password: PASSWORD }, nat)
    const known = await post(
      server.url,
      ROUTES.login,
      { username, password: PASSWORD, deviceToken: pair.deviceToken },
      nat,
    )
    recordFigure({
      name: 'hardening: the right password behind a NAT address strangers locked',
      value: known.status,
      unit: 'status (known device)',
      goal: 'the known device 200, an unknown device 429 (1.1: 429 for everyone there for 24 h)',
      detail: `unknown device ${unknown.status}, known device ${known.status}`,
    })
    expect(unknown.status).toBe(429)
    expect(known.status).toBe(200)
  })
})

describe('an access-token revocation that cannot be recorded', () => {
  it('a logout whose revocation write fails ends nothing; its retry ends the session, and an instance started later refuses the access token', async () => {
    // A Redis user of the server's own, so the revocation write alone can be denied.
    const admin = redis.client()
    const user = `rk-${randomBytes(3).toString('hex')}`
    const secret = randomBytes(12).toString('hex')
    await admin.call('ACL', 'SETUSER', user, 'on', `>${secret}`, '~*', '&*', '+@all')
    const url = new URL(redis.url)
    url.username = user
    url.password = secret
    const env = { REDIS_URL: url.toString(), REDIS_KEY_PREFIX: `${redis.keyPrefix}acl:` }
    try {
      const server = await start(env)
      const { pair } = await signUp(server.url, 'revoke')
      const bystander = await signUp(server.url, 'bystander')
      // The sorted set of revocations can no longer be written.
      await admin.call('ACL', 'SETUSER', user, '-zadd')
      const failed = await post(server.url, ROUTES.logout, { refreshToken: pair.refreshToken })
      expect(failed.status).toBeGreaterThanOrEqual(500)
      // Nothing ended: the session still rotates, so the logout can be tried again. (This
      // instance already refuses its access tokens: it applies a revocation before asking
      // Redis to record it, the safe side.)
      const rotated = await post(server.url, ROUTES.refresh, { refreshToken: pair.refreshToken })
      expect(rotated.status).toBe(200)
      const next = rotated.body as TokenResponse
      await admin.call('ACL', 'SETUSER', user, '+zadd')
      const retried = await post(server.url, ROUTES.logout, { refreshToken: next.refreshToken })
      expect(retried.status).toBe(204)
      const later = await start({ ...env, JWT_SECRET: server.jwtSecret })
      // The later instance takes the first one's tokens: a session that did not end works.
      const alive = await get(later.url, ROUTES.me, bystander.pair.accessToken)
      expect(alive.status, alive.text).toBe(200)
      const me = await get(later.url, ROUTES.me, next.accessToken)
      const refresh = await post(later.url, ROUTES.refresh, { refreshToken: next.refreshToken })
      recordFigure({
        name: 'hardening: a logout whose revocation write failed, then retried',
        value: me.status,
        unit: 'status of its access token on a later instance',
        goal: '401: the retry recorded the revocation (1.1: the retry found no session and recorded nothing)',
        detail: `first logout ${failed.status}, refresh between ${rotated.status}, retry ${retried.status}, later instance: me ${me.status}, refresh ${refresh.status}`,
      })
      expect(me.status).toBe(401)
      expect(refresh.status).toBe(401)
    } finally {
      await admin.call('ACL', 'DELUSER', user)
    }
  })
})
