import type { AddressInfo } from 'node:net'
import { startForwardingProxy, useTestRedis } from '@refresh-kit/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { createHashQueue } from '../../src/credentials/hash-queue.js'
import {
  type AbuseLimitRules,
  createAbuseLimits,
  DEFAULT_ABUSE_LIMIT_RULES,
} from '../../src/credentials/limits/abuse-limits.js'
import type { PasswordHasher } from '../../src/credentials/password-hashing.js'
import { createAuthEvents } from '../../src/events/auth-events.js'
import { logSecurityEvents } from '../../src/events/security-log.js'
import { createLogger } from '../../src/logger.js'
import { createRedisStore } from '../../src/store/redis-store.js'
import { cheapPasswords, setup } from '../support/harness.js'

const redis = useTestRedis('abuse')
const PASSWORD = 'correct horse battery'
let counter = 0
const uniqueName = () => `abuse${++counter}.${Math.random().toString(36).slice(2, 8)}`

/** The cheap hasher, counting what it verifies. */
function countingHasher(): PasswordHasher & { verified(): number } {
  let verified = 0
  return {
    hash: (password) => cheapPasswords.hash(password),
    verify: (password, encoded) => {
      verified += 1
      return cheapPasswords.verify(password, encoded)
    },
    verifyNothing: (password) => {
      verified += 1
      return cheapPasswords.verifyNothing(password)
    },
    verified: () => verified,
  }
}

let apps = 0

/** An app on the Redis store with its limits on the same Redis, as `main.ts` builds it. */
function onRedis(
  rules: Partial<AbuseLimitRules> = {},
  options: Omit<Parameters<typeof setup>[0] & object, 'store' | 'limits'> = {},
) {
  const client = redis.client()
  apps += 1
  return setup({
    store: createRedisStore({ redis: client, keyPrefix: redis.keyPrefix }),
    limits: createAbuseLimits({
      redis: client,
      // Counters of their own: every test starts with clean addresses.
      keyPrefix: `${redis.keyPrefix}t${apps}:`,
      rules: { ...DEFAULT_ABUSE_LIMIT_RULES, ...rules },
    }),
    ...options,
  })
}

const OFF = { points: 0, durationSeconds: 60 }

describe('failed-login limit reserved before the password is verified', () => {
  it('200 parallel wrong passwords for one (username, address): at most LOGIN_MAX_FAILURES verified, the rest 429; then the right password 429', async () => {
    const passwords = countingHasher()
    const { http, signIn } = onRedis({ loginAttemptsPerAddress: OFF }, { passwords })
    const { username } = await signIn()
    const before = passwords.verified()
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, n) =>
        http.post('/auth/login').send({ username, password: `wrong guess ${n}` }),
      ),
    )
    const statuses = results.map((res) => res.status)
    expect(passwords.verified() - before).toBeLessThanOrEqual(5)
    expect(statuses.filter((status) => status === 401)).toHaveLength(5)
    expect(statuses.filter((status) => status === 429)).toHaveLength(195)
    for (const res of results.filter((r) => r.status === 429)) {
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
      expect(res.body.error).toBe('rate_limited')
    }
    const right = await http.post('/auth/login').send({ username, password: PASSWORD })
    expect(right.status).toBe(429)
    expect(passwords.verified() - before).toBeLessThanOrEqual(5)
  })

  it('a burst of 29 wrong guesses and the right one does not let the right one in past the limit', async () => {
    const { http, signIn } = onRedis({ loginAttemptsPerAddress: OFF })
    const { username } = await signIn()
    const guesses = Array.from({ length: 29 }, (_, n) => `wrong guess ${n}`)
    guesses.splice(17, 0, PASSWORD)
    const results = await Promise.all(
      guesses.map((password) => http.post('/auth/login').send({ username, password })),
    )
    const passed = results.filter((res) => res.status === 200 || res.status === 401)
    expect(passed.length).toBeLessThanOrEqual(5)
    expect(results.filter((res) => res.status === 429).length).toBeGreaterThanOrEqual(25)
  })

  it('no lockout by strangers: the right password from an address with no failures logs in while the user is locked at another', async () => {
    const { http, signIn } = onRedis({}, { trustProxy: 1 })
    const { username } = await signIn()
    // One address fails five times: its pair is locked, the user is not.
    for (let n = 0; n < 5; n++) {
      await http
        .post('/auth/login')
        .set('X-Forwarded-For', '198.51.100.1')
        .send({ username, password: `wrong guess ${n}` })
        .expect(401)
    }
    await http
      .post('/auth/login')
      .set('X-Forwarded-For', '198.51.100.1')
      .send({ username, password: PASSWORD })
      .expect(429)
    const home = await http
      .post('/auth/login')
      .set('X-Forwarded-For', '203.0.113.50')
      .send({ username, password: PASSWORD })
    expect(home.status).toBe(200)
  })

  it("30 guesses from 30 /64s: LOGIN_MAX_FAILURES_PER_USER of them verified, then the owner's known device gets in and an unknown device waits", async () => {
    const { http, signIn } = onRedis({}, { trustProxy: 1 })
    const { username, pair } = await signIn()
    expect(pair.deviceToken).toMatch(/^rkd1\./)
    const statuses: number[] = []
    for (let n = 0; n < 30; n++) {
      const res = await http
        .post('/auth/login')
        .set('X-Forwarded-For', `2001:db8:${n.toString(16)}::1`)
        .send({ username, password: `wrong guess ${n}` })
      statuses.push(res.status)
    }
    expect(statuses.filter((status) => status === 401)).toHaveLength(10)
    expect(statuses.filter((status) => status === 429)).toHaveLength(20)
    const stranger = await http
      .post('/auth/login')
      .set('X-Forwarded-For', '2001:db8:ffff::1')
      .send({ username, password: PASSWORD })
    expect(stranger.status).toBe(429)
    const known = await http
      .post('/auth/login')
      .set('X-Forwarded-For', '2001:db8:ffff::1')
      .send({ username, password: PASSWORD, deviceToken: pair.deviceToken })
    expect(known.status).toBe(200)
    // Another user's device token is a stranger's.
    const other = await signIn()
    const borrowed = await http
      .post('/auth/login')
      .set('X-Forwarded-For', '2001:db8:ffff::1')
      .send({ username, password: PASSWORD, deviceToken: other.pair.deviceToken })
    expect(borrowed.status).toBe(429)
  })

  it('a known device is limited by its own failures, and then counted as a stranger', async () => {
    const { http, signIn } = onRedis({}, { trustProxy: 1 })
    const { username, pair } = await signIn()
    const guess = (n: number) =>
      http
        .post('/auth/login')
        .set('X-Forwarded-For', `198.51.100.${n + 1}`)
        .send({ username, password: `wrong guess ${n}`, deviceToken: pair.deviceToken })
    // LOGIN_MAX_FAILURES for the device, each from another address ...
    for (let n = 0; n < 5; n++) expect((await guess(n)).status).toBe(401)
    // ... then the device is a stranger, whose own tries count with strangers'.
    for (let n = 5; n < 15; n++) expect((await guess(n)).status).toBe(401)
    expect((await guess(15)).status).toBe(429)
  })

  it('counts usernames without regard to case: Alice and alice share one counter', async () => {
    const { http, signIn } = onRedis()
    const { username } = await signIn()
    for (let n = 0; n < 5; n++) {
      const spelled = n % 2 === 0 ? username.toUpperCase() : username
      await http
        .post('/auth/login')
        .send({ username: spelled, password: `wrong guess ${n}` })
        .expect(401)
    }
    await http.post('/auth/login').send({ username, password: PASSWORD }).expect(429)
  })
})

describe('per-address limits', () => {
  it('LOGIN_RATE_LIMIT counts every login attempt of an address, successful or not', async () => {
    const { http, signIn } = onRedis(
      { loginAttemptsPerAddress: { points: 4, durationSeconds: 60 } },
      { trustProxy: 1 },
    )
    const { username } = await signIn(`rate.${uniqueName()}`)
    const from = (address: string) =>
      http
        .post('/auth/login')
        .set('X-Forwarded-For', address)
        .send({ username, password: PASSWORD })
    // signIn logged in from the socket's address, not these.
    for (let n = 0; n < 4; n++) expect((await from('192.0.2.10')).status).toBe(200)
    const refused = await from('192.0.2.10')
    expect(refused.status).toBe(429)
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60)
    expect((await from('192.0.2.11')).status).toBe(200)
  })

  it('REGISTER_RATE_LIMIT: 20 parallel registrations from one address, 3 created, the rest 429 with Retry-After', async () => {
    const passwords = countingHasher()
    const hashes: string[] = []
    const { http } = onRedis(
      { registrationsPerAddress: { points: 3, durationSeconds: 3600 } },
      {
        trustProxy: 1,
        passwords: {
          ...passwords,
          hash: (password) => {
            hashes.push(password)
            return cheapPasswords.hash(password)
          },
        },
      },
    )
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        http
          .post('/auth/register')
          .set('X-Forwarded-For', '192.0.2.20')
          .send({ username: uniqueName(), password: PASSWORD }),
      ),
    )
    expect(results.filter((res) => res.status === 201)).toHaveLength(3)
    const refused = results.filter((res) => res.status === 429)
    expect(refused).toHaveLength(17)
    for (const res of refused) expect(Number(res.headers['retry-after'])).toBeGreaterThan(3000)
    // Refused before any hashing.
    expect(hashes).toHaveLength(3)
    const other = await http
      .post('/auth/register')
      .set('X-Forwarded-For', '192.0.2.21')
      .send({ username: uniqueName(), password: PASSWORD })
    expect(other.status).toBe(201)
  })

  it('counts IPv6 clients per /64', async () => {
    const { http } = onRedis(
      { registrationsPerAddress: { points: 2, durationSeconds: 3600 } },
      { trustProxy: 1 },
    )
    const register = (address: string) =>
      http
        .post('/auth/register')
        .set('X-Forwarded-For', address)
        .send({ username: uniqueName(), password: PASSWORD })
    expect((await register('2001:db8:aa:1::1')).status).toBe(201)
    expect((await register('2001:db8:aa:1:ffff::2')).status).toBe(201)
    expect((await register('2001:db8:aa:1:1234:5678:9abc:def0')).status).toBe(429)
    expect((await register('2001:db8:aa:2::1')).status).toBe(201)
  })
})

describe('TRUST_PROXY as a hop count', () => {
  const closing: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const close of closing) await close()
  })

  it('with TRUST_PROXY=1 behind one proxy, a spoofed X-Forwarded-For cannot move the counted address', async () => {
    const { app } = onRedis(
      {
        loginFailuresPerAddress: { points: 6, durationSeconds: 3600 },
        loginAttemptsPerAddress: OFF,
      },
      { trustProxy: 1 },
    )
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    closing.push(() => new Promise((resolve) => server.close(() => resolve(undefined))))
    const proxy = await startForwardingProxy(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    )
    closing.push(proxy.close)
    const login = async (spoof: string) => {
      const res = await fetch(`${proxy.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': spoof },
        body: JSON.stringify({ username: uniqueName(), password: 'wrong password' }),
      })
      await res.arrayBuffer()
      return res.status
    }
    const spoofs = [
      '203.0.113.1',
      '203.0.113.2, 203.0.113.3',
      'not-an-address',
      `${'9'.repeat(12_000)}`,
      '2001:db8::1',
      '10.0.0.1, 10.0.0.2, 10.0.0.3',
    ]
    for (const spoof of spoofs) expect(await login(spoof)).toBe(401)
    // Six failures, each with another claimed address: all counted for the proxy's peer.
    expect(await login('198.51.100.77')).toBe(429)
    const keys = await redis.client().keys(`${redis.keyPrefix}t${apps}:rl:*`)
    expect(keys.length).toBeGreaterThan(0)
    for (const key of keys) expect(key.length).toBeLessThan(200)
  })
})

describe('bounded password hashing', () => {
  it('answers 503 with Retry-After at once beyond the concurrency and the queue, and lets others through', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const slow: PasswordHasher = {
      hash: async (password) => {
        await gate
        return cheapPasswords.hash(password)
      },
      verify: (password, encoded) => cheapPasswords.verify(password, encoded),
      verifyNothing: (password) => cheapPasswords.verifyNothing(password),
    }
    const { http } = onRedis(
      { registrationsPerAddress: OFF },
      {
        trustProxy: 1,
        passwords: slow,
        hashQueue: createHashQueue({ concurrency: 2, queueSize: 4 }),
      },
    )
    const flood = Array.from({ length: 30 }, () =>
      http
        .post('/auth/register')
        .set('X-Forwarded-For', '192.0.2.99')
        .send({ username: uniqueName(), password: PASSWORD })
        .then((res) => res),
    )
    // One address holds one of the two slots (the other is left to everyone else) and four
    // of its hashes wait: the other 25 are answered without waiting.
    const early = await Promise.race([
      Promise.all(flood.slice(5)),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 20_000)),
    ])
    expect(early).not.toBeNull()
    for (const res of early ?? []) {
      expect(res.status).toBe(503)
      expect(res.body.error).toBe('service_unavailable')
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    }
    release()
    const first = await Promise.all(flood.slice(0, 5))
    expect(first.map((res) => res.status)).toEqual(Array(5).fill(201))
  })
})

describe('sessions per user', () => {
  it('120 logins with MAX_SESSIONS_PER_USER=50: 50 listed, the oldest 70 refuse refresh, the Redis hash holds 50', async () => {
    const { http, signIn, clock } = onRedis(
      { loginAttemptsPerAddress: OFF },
      { maxSessionsPerUser: 50 },
    )
    const { username, userId, pair: first } = await signIn()
    const pairs = [first]
    for (let n = 1; n < 120; n++) {
      clock.advance(1)
      const res = await http.post('/auth/login').send({ username, password: PASSWORD })
      expect(res.status).toBe(200)
      pairs.push(res.body)
    }
    const newest = pairs[119]
    const listed = await http
      .get('/auth/sessions')
      .set('Authorization', `Bearer ${newest?.accessToken}`)
    expect(listed.body.sessions).toHaveLength(50)
    const refreshes = await Promise.all(
      pairs.map((pair) => http.post('/auth/refresh').send({ refreshToken: pair.refreshToken })),
    )
    expect(refreshes.slice(0, 70).map((res) => res.status)).toEqual(Array(70).fill(401))
    expect(refreshes.slice(70).map((res) => res.status)).toEqual(Array(50).fill(200))
    for (const res of refreshes.slice(0, 70)) expect(res.body.error).toBe('invalid_refresh_token')
    expect(await redis.client().hlen(`${redis.keyPrefix}{u:${userId}}:s`)).toBe(50)
  })
})

describe('security events', () => {
  it('logs login locked, session evicted, reuse detected and logout-all at warn, without secrets', async () => {
    const lines: Record<string, unknown>[] = []
    const logger = createLogger({
      level: 'warn',
      format: 'json',
      destination: {
        write: (line: string) => {
          lines.push(JSON.parse(line) as Record<string, unknown>)
        },
      },
    })
    const events = createAuthEvents()
    logSecurityEvents(events, logger)
    const { http, signIn, clock } = onRedis(
      {},
      { events, maxSessionsPerUser: 1, reuseGraceSeconds: 0 },
    )
    const { username, userId, pair } = await signIn()
    clock.advance(1)
    const second = await http.post('/auth/login').send({ username, password: PASSWORD })
    expect(second.status).toBe(200)
    const rotated = await http
      .post('/auth/refresh')
      .send({ refreshToken: second.body.refreshToken })
    clock.advance(1)
    await http.post('/auth/refresh').send({ refreshToken: second.body.refreshToken }).expect(401)
    const third = await http.post('/auth/login').send({ username, password: PASSWORD })
    await http
      .post('/auth/logout-all')
      .set('Authorization', `Bearer ${third.body.accessToken}`)
      .expect(204)
    for (let n = 0; n < 6; n++) {
      await http.post('/auth/login').send({ username, password: `wrong guess ${n}` })
    }
    const logged = lines.map((line) => line.event)
    expect(logged).toContain('session_evicted')
    expect(logged).toContain('refresh_token_reused')
    expect(logged).toContain('logout_all')
    expect(logged.filter((event) => event === 'login_locked')).toHaveLength(1)
    for (const line of lines) {
      expect(line.level).toBe('warn')
      const text = JSON.stringify(line)
      for (const secret of [PASSWORD, pair.refreshToken, rotated.body.refreshToken]) {
        expect(text).not.toContain(secret)
      }
    }
    const evicted = lines.find((line) => line.event === 'session_evicted')
    expect(evicted).toMatchObject({ userId, clientAddress: expect.any(String) })
  })
})

describe('usernames, passwords, request ids and caching', () => {
  it('Alice cannot register when alice exists; any case logs in; the name is shown as registered', async () => {
    const { http } = onRedis({ registrationsPerAddress: OFF })
    const name = `Alice.${uniqueName()}`
    await http.post('/auth/register').send({ username: name, password: PASSWORD }).expect(201)
    const taken = await http
      .post('/auth/register')
      .send({ username: name.toLowerCase(), password: PASSWORD })
    expect(taken.status).toBe(409)
    expect(taken.body.error).toBe('user_exists')
    const login = await http
      .post('/auth/login')
      .send({ username: name.toUpperCase(), password: PASSWORD })
    expect(login.status).toBe(200)
    const me = await http.get('/auth/me').set('Authorization', `Bearer ${login.body.accessToken}`)
    expect(me.body.username).toBe(name)
  })

  it('400 invalid_request for a password with a lone surrogate', async () => {
    const { http } = onRedis({ registrationsPerAddress: OFF })
    for (const password of ['correct horse \ud800', 'correct \udc00 horse']) {
      const res = await http
        .post('/auth/register')
        .set('content-type', 'application/json')
        .send(`{"username":"${uniqueName()}","password":${JSON.stringify(password)}}`)
      expect(res.status).toBe(400)
      expect(res.body.details).toEqual([{ field: 'password', problem: expect.any(String) }])
    }
    // A well-formed pair is fine.
    const ok = await http
      .post('/auth/register')
      .send({ username: uniqueName(), password: 'correct horse \ud83d\udc34' })
    expect(ok.status).toBe(201)
  })

  it('Cache-Control: no-store on tokens whatever the case of the path', async () => {
    const { http, signIn } = onRedis()
    const { username } = await signIn()
    for (const path of ['/AUTH/LOGIN', '/Auth/Login', '/auth/LOGIN']) {
      const res = await http.post(path).send({ username, password: PASSWORD })
      expect(res.status).toBe(200)
      expect(res.body.accessToken).toEqual(expect.any(String))
      expect(res.headers['cache-control']).toBe('no-store')
    }
  })
})
