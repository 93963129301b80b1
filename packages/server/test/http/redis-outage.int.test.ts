import { performance } from 'node:perf_hooks'
import { type RedisServerProcess, startRedisServer } from '@refresh-kit/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { failFastRedisOptions } from '../../src/store/redis-options.js'
import { createRedisStore } from '../../src/store/redis-store.js'
import { setup } from '../support/harness.js'

// A generous bound: the point is "no hang", not speed (the contract asks for 2 s).
const NO_HANG_MS = 5000

describe('Redis outage', () => {
  let server: RedisServerProcess
  let client: Redis
  let harness: ReturnType<typeof setup>

  beforeAll(async () => {
    server = await startRedisServer({ persistent: true })
    client = new Redis(server.url, { ...failFastRedisOptions })
    client.on('error', () => {}) // reconnect attempts during the outage are expected
    harness = setup({ store: createRedisStore({ redis: client, keyPrefix: 'outage:' }) })
  })

  afterAll(async () => {
    client?.disconnect()
    await server?.dispose()
  })

  async function timed<T>(run: () => PromiseLike<T>): Promise<{ value: T; ms: number }> {
    const started = performance.now()
    const value = await run()
    return { value, ms: performance.now() - started }
  }

  it('answers 503 with Retry-After while Redis is down, keeps /auth/me working, and recovers without a rebuild', async () => {
    const { http, signIn } = harness
    const { pair, username, password } = await signIn()
    await server.stop()

    const refresh = await timed(() =>
      http.post('/auth/refresh').send({ refreshToken: pair.refreshToken }),
    )
    expect(refresh.value.status).toBe(503)
    expect(refresh.value.body).toEqual({
      error: 'service_unavailable',
      message: expect.any(String),
    })
    expect(refresh.value.headers['retry-after']).toMatch(/^[1-9]\d*$/)
    expect(refresh.value.text).not.toMatch(/ECONNREFUSED|Connection is closed|Stream/)
    expect(refresh.ms).toBeLessThan(NO_HANG_MS)

    const login = await timed(() => http.post('/auth/login').send({ username, password }))
    expect(login.value.status).toBe(503)
    expect(login.value.headers['retry-after']).toMatch(/^[1-9]\d*$/)
    expect(login.ms).toBeLessThan(NO_HANG_MS)

    const ready = await timed(() => http.get('/readyz'))
    expect(ready.value.status).toBe(503)
    expect(ready.value.body.error).toBe('service_unavailable')
    expect(ready.ms).toBeLessThan(NO_HANG_MS)

    const me = await http.get('/auth/me').set('Authorization', `Bearer ${pair.accessToken}`)
    expect(me.status).toBe(200)
    expect(me.body.username).toBe(username)

    await server.start()
    // The client reconnects in the background; wait for it, boundedly, instead of sleeping.
    const deadline = Date.now() + 20_000
    while ((await http.get('/readyz')).status !== 200) {
      if (Date.now() > deadline)
        throw new Error('the app did not become ready after Redis came back')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const after = await http.post('/auth/refresh').send({ refreshToken: pair.refreshToken })
    expect(after.status).toBe(200)
    expect(after.body.refreshToken).toContain('.1.')
  })
})
