import { startRedisServer } from '@refresh-kit/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { failFastRedisOptions } from '../../../src/store/redis-options.js'
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js'
import { instanceFactory, login, me, refusedWithin, register } from './instances.js'
import { revocationAcrossInstances } from './suite.js'

// Its own redis-server: the outage test below cuts one instance off from it.
let redisServer: Awaited<ReturnType<typeof startRedisServer>>
let proxy: TcpProxy
const keyPrefix = 'rk-revocation:'

beforeAll(async () => {
  redisServer = await startRedisServer()
  proxy = await startTcpProxy({ host: '127.0.0.1', port: redisServer.port })
})
afterAll(async () => {
  await proxy?.close()
  await redisServer?.dispose()
})

const direct = () => new Redis(redisServer.url, { ...failFastRedisOptions })

describe('two server instances on one Redis', () => {
  revocationAcrossInstances({ client: direct, keyPrefix })
})

describe('an instance that lost Redis and got it back', () => {
  const instances = instanceFactory({ client: direct, keyPrefix })
  afterAll(() => instances.stopAll())

  it('has not missed a revocation published while it was cut off', async () => {
    const a = await instances.start('A')
    const viaProxy = instanceFactory({
      client: () =>
        new Redis({
          ...failFastRedisOptions,
          host: '127.0.0.1',
          port: proxy.port,
          password: redisServer.password,
        }),
      keyPrefix,
    })
    try {
      const b = await viaProxy.start('B')
      const user = await register(a)
      const pair = await login(a, user)
      expect((await me(b, pair.accessToken)).status).toBe(200)

      proxy.cut()
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(
        (await a.http.post('/auth/logout').send({ refreshToken: pair.refreshToken })).status,
      ).toBe(204)
      expect((await me(a, pair.accessToken)).status).toBe(401)
      // Cut off, B could not hear of it: it still verifies the token by its signature alone.
      expect((await me(b, pair.accessToken)).status).toBe(200)

      proxy.restore()
      await refusedWithin(b, pair.accessToken, 20_000)
    } finally {
      proxy.restore()
      await viaProxy.stopAll()
    }
  })
})
