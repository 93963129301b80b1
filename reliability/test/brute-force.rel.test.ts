import { ROUTES } from '@refresh-kit/shared'
import { afterAll, describe, expect, it } from 'vitest'
import { PASSWORD } from '../src/accounts.js'
import { recordFigure } from '../src/figures.js'
import { httpRequest } from '../src/http.js'
import { type InProcessServer, startInProcessServer } from '../src/in-process.js'
import { errorCodeOf } from '../src/load.js'
import { runMode } from '../src/mode.js'
import { errorBodyProblems } from '../src/response-schema.js'
import { median, sleep } from '../src/stats.js'

const mode = runMode()
/** A failure window short enough to wait out: the limits run on real time. */
const SHORT_WINDOW_SECONDS = 3
const LIMIT = 5

const servers: InProcessServer[] = []
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()))
})

async function register(url: string, username: string): Promise<void> {
  const res = await httpRequest(`${url}${ROUTES.register}`, {
    method: 'POST',
    json: { username, password: PASSWORD },
    timeoutMs: 30_000,
  })
  expect(res.status).toBe(201)
}

const login = (url: string, username: string, password: string, address?: string) =>
  httpRequest(`${url}${ROUTES.login}`, {
    method: 'POST',
    json: { username, password },
    headers: address === undefined ? {} : { 'x-forwarded-for': address },
    timeoutMs: 30_000,
  })

describe('user enumeration through login', () => {
  it('answers an unknown user and a wrong password alike, in status, body and time', async () => {
    // Real scrypt cost; a limit that the measurement never reaches.
    const server = await startInProcessServer({
      realPasswordCost: true,
      loginMaxFailures: 10_000,
      loginMaxFailuresPerAddress: 0,
      loginMaxFailuresPerUser: 0,
      trustProxy: true,
    })
    servers.push(server)
    await register(server.url, 'dave-timing')
    const unknown: number[] = []
    const wrong: number[] = []
    const bodies = new Set<string>()
    const statuses = new Set<number>()
    // Warm-up: the first unknown-user login also derives the dummy hash.
    await login(server.url, 'nobody-warmup', 'wrong password 0')
    await login(server.url, 'dave-timing', 'wrong password 0')
    // Interleaved, so both kinds see the same load from whatever else runs on the machine.
    for (let i = 0; i < mode.timingSamples; i++) {
      const address = `198.51.100.${i % 250}`
      const a = await login(server.url, `nobody-${i}`, `wrong password ${i}`, address)
      const b = await login(server.url, 'dave-timing', `wrong password ${i}`, address)
      unknown.push(a.ms)
      wrong.push(b.ms)
      for (const res of [a, b]) {
        statuses.add(res.status)
        bodies.add(res.text)
      }
    }
    const unknownMedian = median(unknown)
    const wrongMedian = median(wrong)
    const gap = Math.abs(unknownMedian - wrongMedian) / Math.min(unknownMedian, wrongMedian)
    recordFigure({
      name: 'enumeration: median login time, unknown user',
      value: unknownMedian,
      unit: 'ms',
      goal: 'within 20 % of a wrong password',
      detail: `${unknown.length} tries`,
    })
    recordFigure({
      name: 'enumeration: median login time, wrong password',
      value: wrongMedian,
      unit: 'ms',
      goal: 'within 20 % of an unknown user',
      detail: `${wrong.length} tries`,
    })
    recordFigure({ name: 'enumeration: median gap', value: gap * 100, unit: '%', goal: '< 20 %' })
    expect([...statuses]).toEqual([401])
    expect(bodies.size).toBe(1)
    expect(JSON.parse([...bodies][0] ?? '{}')).toMatchObject({ error: 'invalid_credentials' })
    expect(gap).toBeLessThan(0.2)
  })
})

describe('login brute force', () => {
  it('answers 429 with Retry-After past the limit per (username, address), lets the right password wait, and lets the user in after the window', async () => {
    const server = await startInProcessServer({
      trustProxy: true,
      loginMaxFailures: LIMIT,
      loginFailureWindowSeconds: SHORT_WINDOW_SECONDS,
    })
    servers.push(server)
    await register(server.url, 'erin-brute')
    const attacker = '203.0.113.1'
    for (let i = 0; i < LIMIT; i++) {
      const res = await login(server.url, 'erin-brute', `guess number ${i}`, attacker)
      expect(res.status).toBe(401)
    }
    const blocked = await login(server.url, 'erin-brute', 'guess number 99', attacker)
    expect(blocked.status).toBe(429)
    expect(errorCodeOf(blocked.body)).toBe('rate_limited')
    expect(errorBodyProblems(blocked.status, blocked.body, blocked.text)).toEqual([])
    const retryAfter = Number(blocked.headers['retry-after'])
    expect(
      Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= SHORT_WINDOW_SECONDS,
    ).toBe(true)
    // Even the right password waits: the attacker learns nothing from a hit.
    const rightButBlocked = await login(server.url, 'erin-brute', PASSWORD, attacker)
    expect(rightButBlocked.status).toBe(429)
    // No lockout by strangers: the user's own address has not failed.
    const owner = await login(server.url, 'erin-brute', PASSWORD, '198.51.100.200')
    expect(owner.status).toBe(200)

    await sleep((SHORT_WINDOW_SECONDS + 1) * 1000)
    const afterWindow = await login(server.url, 'erin-brute', PASSWORD, attacker)
    recordFigure({
      name: 'brute force: per (username, address) limit',
      value: blocked.status,
      unit: '',
      goal: '429 with Retry-After after 5 failures; the owner elsewhere 200; 200 after the window',
      detail: `Retry-After ${retryAfter} s of a ${SHORT_WINDOW_SECONDS} s window; owner ${owner.status}; after the window ${afterWindow.status}`,
    })
    expect(afterWindow.status).toBe(200)
  })

  it('answers 429 with Retry-After past the limit per client address, whatever the username', async () => {
    const server = await startInProcessServer({
      trustProxy: true,
      loginMaxFailuresPerAddress: LIMIT,
      loginFailureWindowSeconds: SHORT_WINDOW_SECONDS,
    })
    servers.push(server)
    await register(server.url, 'frank-brute')
    const attacker = '192.0.2.66'
    // A credential-stuffing run: another username on every try, one address.
    for (let i = 0; i < LIMIT; i++) {
      expect((await login(server.url, `victim-${i}`, 'password123!', attacker)).status).toBe(401)
    }
    const blocked = await login(server.url, 'victim-next', 'password123!', attacker)
    expect(blocked.status).toBe(429)
    expect(errorCodeOf(blocked.body)).toBe('rate_limited')
    const retryAfter = Number(blocked.headers['retry-after'])
    expect(
      Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= SHORT_WINDOW_SECONDS,
    ).toBe(true)
    // The same address is blocked for a real user too; another address is not.
    expect((await login(server.url, 'frank-brute', PASSWORD, attacker)).status).toBe(429)
    expect((await login(server.url, 'frank-brute', PASSWORD, '192.0.2.67')).status).toBe(200)

    await sleep((SHORT_WINDOW_SECONDS + 1) * 1000)
    const afterWindow = await login(server.url, 'frank-brute', PASSWORD, attacker)
    recordFigure({
      name: 'brute force: per-address limit',
      value: blocked.status,
      unit: '',
      goal: '429 with Retry-After after 5 failures; 200 after the window',
      detail: `Retry-After ${retryAfter} s; after the window ${afterWindow.status}`,
    })
    expect(afterWindow.status).toBe(200)
  })

  it('counts the address from X-Forwarded-For only when the proxy is trusted', async () => {
    const server = await startInProcessServer({
      trustProxy: false,
      loginMaxFailuresPerAddress: LIMIT,
    })
    servers.push(server)
    // Without a trusted proxy, a spoofed header must not give each try a fresh address.
    for (let i = 0; i < LIMIT; i++) {
      await login(server.url, `spoof-${i}`, 'password123!', `10.9.${i}.1`)
    }
    const res = await login(server.url, 'spoof-next', 'password123!', '10.9.99.1')
    expect(res.status).toBe(429)
  })
})
