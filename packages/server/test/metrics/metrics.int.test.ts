import { freePort, type RedisServerProcess, startRedisServer } from '@refresh-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BuiltServer, startBuiltServer } from '../support/built-server.js'
import { checkResponse } from '../support/openapi-check.js'

/** Samples of the Prometheus text format, `name{labels}` → value. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    samples.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return samples
}

const COUNTERS = [
  'refresh_kit_logins_total{outcome="success"}',
  'refresh_kit_logins_total{outcome="invalid_credentials"}',
  'refresh_kit_logins_total{outcome="rate_limited"}',
  'refresh_kit_refreshes_total{outcome="rotated"}',
  'refresh_kit_refreshes_total{outcome="grace"}',
  'refresh_kit_refreshes_total{outcome="reused"}',
  'refresh_kit_refreshes_total{outcome="invalid"}',
  'refresh_kit_sessions_ended_total{reason="logout"}',
  'refresh_kit_sessions_ended_total{reason="logout_all"}',
  'refresh_kit_sessions_ended_total{reason="revoked"}',
  'refresh_kit_sessions_ended_total{reason="reuse"}',
  'refresh_kit_sessions_ended_total{reason="evicted"}',
  'refresh_kit_sessions_ended_total{reason="expired"}',
  'refresh_kit_store_errors_total',
] as const

describe('metrics of the built server', () => {
  let redis: RedisServerProcess
  let server: BuiltServer
  let api: string
  let metricsUrl: string

  beforeAll(async () => {
    redis = await startRedisServer()
    const [port, metricsPort] = [await freePort(), await freePort()]
    server = await startBuiltServer({
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      METRICS_PORT: String(metricsPort),
      LOGIN_MAX_FAILURES: '2',
      TRUST_PROXY: 'true',
      LOG_LEVEL: 'warn',
    })
    api = `http://127.0.0.1:${port}`
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`
  })
  afterAll(async () => {
    await server?.stop()
    await redis?.dispose()
  })

  const post = async (path: string, body?: unknown, token?: string, from = '10.0.0.1') => {
    const res = await fetch(`${api}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Forwarded-For': from,
        ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    const parsed = text === '' ? null : JSON.parse(text)
    const problem = checkResponse({
      method: 'POST',
      url: path,
      status: res.status,
      contentType: res.headers.get('content-type') ?? undefined,
      body: parsed,
      text,
    })
    expect(problem, `${path} ${res.status}`).toBeNull()
    return { status: res.status, body: parsed }
  }
  const scrape = async () => {
    const res = await fetch(metricsUrl)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    return parse(await res.text())
  }
  const counters = async () => {
    const samples = await scrape()
    return Object.fromEntries(COUNTERS.map((name) => [name, samples.get(name)]))
  }

  it('serves every counter at 0 on its own listener, with the process metrics, and not on the API port', async () => {
    const samples = await scrape()
    for (const name of COUNTERS) expect(samples.get(name), name).toBe(0)
    expect(samples.get('process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0)
    expect([...samples.keys()].some((key) => key.startsWith('nodejs_heap_size_total_bytes'))).toBe(
      true,
    )
    expect((await fetch(`${api}/metrics`)).status).toBe(404)
    expect((await fetch(metricsUrl.replace('/metrics', '/other'))).status).toBe(404)
  })

  it('moves each counter by exactly what a scripted sequence does', async () => {
    const before = await counters()
    const ada = { username: 'ada-metrics', password: 'correct horse battery' }
    expect((await post('/auth/register', ada)).status).toBe(201)

    // Logins: 1 success, then from another address 2 wrong passwords, then locked.
    const first = await post('/auth/login', ada)
    expect(first.status).toBe(200)
    const wrong = { username: ada.username, password: 'wrong password!' }
    const attacker = '10.66.0.1'
    expect((await post('/auth/login', wrong, undefined, attacker)).status).toBe(401)
    expect((await post('/auth/login', wrong, undefined, attacker)).status).toBe(401)
    expect((await post('/auth/login', wrong, undefined, attacker)).status).toBe(429)

    // Refreshes: rotate, the previous token again within the grace window, rotate, then the
    // token two generations old: reuse, which ends the session; then a forged token.
    const r0 = first.body.refreshToken as string
    const second = await post('/auth/refresh', { refreshToken: r0 })
    expect(second.status).toBe(200)
    expect((await post('/auth/refresh', { refreshToken: r0 })).status).toBe(200)
    const third = await post('/auth/refresh', { refreshToken: second.body.refreshToken })
    expect(third.status).toBe(200)
    const reused = await post('/auth/refresh', { refreshToken: r0 })
    expect(reused.status).toBe(401)
    expect(reused.body.error).toBe('refresh_token_reused')
    expect((await post('/auth/refresh', { refreshToken: 'x'.repeat(60) })).status).toBe(401)

    // Three new sessions: one logged out, then logout-all ends the other two.
    const bob = { username: 'bob-metrics', password: 'correct horse battery' }
    expect((await post('/auth/register', bob)).status).toBe(201)
    const logins = [
      await post('/auth/login', bob),
      await post('/auth/login', bob),
      await post('/auth/login', bob),
    ]
    expect(logins.map((res) => res.status)).toEqual([200, 200, 200])
    expect(
      (await post('/auth/logout', { refreshToken: logins[0]?.body.refreshToken })).status,
    ).toBe(204)
    // Logging out a revoked token again ends nothing more.
    expect(
      (await post('/auth/logout', { refreshToken: logins[0]?.body.refreshToken })).status,
    ).toBe(204)
    expect((await post('/auth/logout-all', undefined, logins[1]?.body.accessToken)).status).toBe(
      204,
    )

    const after = await counters()
    const moved = Object.fromEntries(
      COUNTERS.map((name) => [name, (after[name] ?? Number.NaN) - (before[name] ?? Number.NaN)]),
    )
    expect(moved).toEqual({
      'refresh_kit_logins_total{outcome="success"}': 4,
      'refresh_kit_logins_total{outcome="invalid_credentials"}': 2,
      'refresh_kit_logins_total{outcome="rate_limited"}': 1,
      'refresh_kit_refreshes_total{outcome="rotated"}': 2,
      'refresh_kit_refreshes_total{outcome="grace"}': 1,
      'refresh_kit_refreshes_total{outcome="reused"}': 1,
      'refresh_kit_refreshes_total{outcome="invalid"}': 1,
      'refresh_kit_sessions_ended_total{reason="logout"}': 1,
      'refresh_kit_sessions_ended_total{reason="logout_all"}': 2,
      'refresh_kit_sessions_ended_total{reason="revoked"}': 0,
      'refresh_kit_sessions_ended_total{reason="reuse"}': 1,
      'refresh_kit_sessions_ended_total{reason="evicted"}': 0,
      'refresh_kit_sessions_ended_total{reason="expired"}': 0,
      refresh_kit_store_errors_total: 0,
    })

    const samples = await scrape()
    const refreshed = (status: number) =>
      samples.get(
        `refresh_kit_http_request_duration_seconds_count{method="POST",route="/auth/refresh",status="${status}"}`,
      )
    expect(refreshed(200)).toBe(3)
    expect(refreshed(401)).toBe(2)
    expect(
      samples.get(
        'refresh_kit_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/auth/logout-all",status="204"}',
      ),
    ).toBe(1)

    // The security log: one warn line per reuse, lockout and logout-all, with ids and the
    // client address, never a token or a password.
    const lines = server
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    const reuse = lines.filter((line) => line.event === 'refresh_token_reused')
    expect(reuse).toHaveLength(1)
    expect(reuse[0]).toMatchObject({
      level: 'warn',
      userId: expect.any(String),
      sessionId: expect.any(String),
      clientAddress: '10.0.0.1',
    })
    expect(lines.filter((line) => line.event === 'login_locked')).toEqual([
      expect.objectContaining({ level: 'warn', clientAddress: attacker }),
    ])
    expect(lines.filter((line) => line.event === 'logout_all')).toEqual([
      expect.objectContaining({ level: 'warn', sessions: 2, sessionId: expect.any(String) }),
    ])
    const log = server.stdout()
    for (const secret of [r0, ada.password, logins[1]?.body.accessToken as string]) {
      expect(log).not.toContain(secret)
    }
  })

  it('counts store errors during an outage and no more once Redis is back', async () => {
    const user = { username: 'cy-metrics', password: 'correct horse battery' }
    expect((await post('/auth/register', user)).status).toBe(201)
    const login = await post('/auth/login', user)
    expect(login.status).toBe(200)
    const before = await counters()
    await redis.stop()
    try {
      const res = await post('/auth/refresh', { refreshToken: login.body.refreshToken })
      expect(res.status).toBe(503)
      expect(res.body.error).toBe('service_unavailable')
    } finally {
      await redis.start()
    }
    let back = 0
    for (let attempt = 0; attempt < 100 && back !== 200; attempt += 1) {
      back = (await fetch(`${api}/readyz`)).status
      if (back !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(back).toBe(200)
    // The test's Redis keeps nothing across a restart: sign up and in again.
    expect((await post('/auth/register', user)).status).toBe(201)
    const again = await post('/auth/login', user)
    const refreshed = await post('/auth/refresh', { refreshToken: again.body.refreshToken })
    expect(refreshed.status).toBe(200)
    const after = await counters()
    expect(
      (after.refresh_kit_store_errors_total ?? Number.NaN) -
        (before.refresh_kit_store_errors_total ?? 0),
    ).toBe(1)
    expect(
      (after['refresh_kit_refreshes_total{outcome="rotated"}'] ?? 0) -
        (before['refresh_kit_refreshes_total{outcome="rotated"}'] ?? 0),
    ).toBe(1)
    const samples = await scrape()
    expect(
      samples.get(
        'refresh_kit_http_request_duration_seconds_count{method="POST",route="/auth/refresh",status="503"}',
      ),
    ).toBe(1)
  })
})
