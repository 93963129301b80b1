import { freePort, startRedisServer, useTestRedis } from '@refresh-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { probeRedis } from '../src/node/redis-probe.js'

const redis = useTestRedis('demo-probe')

describe('probeRedis', () => {
  it('accepts a Redis that takes the password of the URL', async () => {
    expect(await probeRedis(redis.url)).toEqual({ status: 'ok' })
  })

  it('reports a wrong password as an authentication failure', async () => {
    const url = new URL(redis.url)
    url.password = 'not-the-password'
    const result = await probeRedis(url.toString())
    expect(result.status).toBe('auth_failed')
  })

  it('reports a protected Redis reached without a password as an authentication failure', async () => {
    const url = new URL(redis.url)
    url.password = ''
    const result = await probeRedis(url.toString())
    expect(result.status).toBe('auth_failed')
    expect(result.status === 'auth_failed' && result.reason).toMatch(/NOAUTH/)
  })

  it('reports a closed port as unreachable', async () => {
    const result = await probeRedis(`redis://:secret@127.0.0.1:${await freePort()}`)
    expect(result.status).toBe('unreachable')
  })

  it('reports a URL that is not one as unreachable', async () => {
    expect((await probeRedis('not a url')).status).toBe('unreachable')
  })

  describe('an unprotected Redis (the one that may listen on 6379 here)', () => {
    let open: Awaited<ReturnType<typeof startRedisServer>>
    beforeAll(async () => {
      // A later --requirepass "" clears the password the harness sets.
      open = await startRedisServer({ args: ['--requirepass', ''] })
    })
    afterAll(async () => {
      await open?.dispose()
    })

    it('is refused when the URL carries a password, and nothing is written into it', async () => {
      const result = await probeRedis(`redis://:abcd1234@127.0.0.1:${open.port}`)
      expect(result).toEqual({
        status: 'auth_failed',
        reason: `Redis at 127.0.0.1:${open.port} has no password, so it is not the demo's Redis (left untouched)`,
      })
    })
  })
})
