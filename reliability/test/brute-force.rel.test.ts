import { ROUTES } from '@refresh-kit/shared'
import { afterAll, describe, expect, it } from 'vitest'
import { PASSWORD } from '../src/accounts.js'
import { recordFigure } from '../src/figures.js'
import { httpRequest } from '../src/http.js'
import { type InProcessServer, manualClock, startInProcessServer } from '../src/in-process.js'
import { errorCodeOf } from '../src/load.js'
import { runMode } from '../src/mode.js'
import { errorBodyProblems } from '../src/response-schema.js'
import { median } from '../src/stats.js'

const mode = runMode()
/** The server's default failure window, in seconds. */
const WINDOW_SECONDS = 900
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
  it('answers 429 with Retry-After past the limit per username, and lets the user in after the window', async () => {
    const clock = manualClock()
    const server = await startInProcessServer({ clock, trustProxy: true, loginMaxFailures: LIMIT })
    servers.push(server)
    await register(server.url, 'erin-brute')
    // Every attempt from another address: only the per-username limit can stop them.
    for (let i = 0; i < LIMIT; i++) {
      const res = await login(server.url, 'erin-brute', `guess number ${i}`, `203.0.113.${i + 1}`)
      expect(res.status).toBe(401)
    }
    const blocked = await login(server.url, 'erin-brute', 'guess number 99', '203.0.113.100')
    expect(blocked.status).toBe(429)
    expect(errorCodeOf(blocked.body)).toBe('rate_limited')
    expect(errorBodyProblems(blocked.status, blocked.body, blocked.text)).toEqual([])
    const retryAfter = Number(blocked.headers['retry-after'])
    expect(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= WINDOW_SECONDS).toBe(
      true,
    )
    // Even the right password waits: the attacker learns nothing from a hit.
    const rightButBlocked = await login(server.url, 'erin-brute', PASSWORD, '203.0.113.101')
    expect(rightButBlocked.status).toBe(429)

    clock.advance(300_000)
    const later = await login(server.url, 'erin-brute', PASSWORD, '203.0.113.102')
    expect(later.status).toBe(429)
    expect(Number(later.headers['retry-after'])).toBeLessThanOrEqual(retryAfter - 299)

    clock.advance((WINDOW_SECONDS - 300 + 1) * 1000)
    const afterWindow = await login(server.url, 'erin-brute', PASSWORD, '203.0.113.103')
    recordFigure({
      name: 'brute force: per-username limit',
      value: blocked.status,
      unit: '',
      goal: '429 with Retry-After after 5 failures; 200 after the window',
      detail: `Retry-After ${retryAfter} s; after the window ${afterWindow.status}`,
    })
    expect(afterWindow.status).toBe(200)
  })

  it('answers 429 with Retry-After past the limit per client address, whatever the username', async () => {
    const clock = manualClock()
    const server = await startInProcessServer({ clock, trustProxy: true, loginMaxFailures: LIMIT })
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
    expect(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= WINDOW_SECONDS).toBe(
      true,
    )
    // The same address is blocked for a real user too; another address is not.
    expect((await login(server.url, 'frank-brute', PASSWORD, attacker)).status).toBe(429)
    expect((await login(server.url, 'frank-brute', PASSWORD, '192.0.2.67')).status).toBe(200)

    clock.advance((WINDOW_SECONDS + 1) * 1000)
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
    const server = await startInProcessServer({ trustProxy: false, loginMaxFailures: LIMIT })
    servers.push(server)
    // Without a trusted proxy, a spoofed header must not give each try a fresh address.
    for (let i = 0; i < LIMIT; i++) {
      await login(server.url, `spoof-${i}`, 'password123!', `10.9.${i}.1`)
    }
    const res = await login(server.url, 'spoof-next', 'password123!', '10.9.99.1')
    expect(res.status).toBe(429)
  })
})
