import { type RedisClusterProcess, startRedisCluster } from '@refresh-kit/testing'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { failFastClusterOptions } from '../../src/store/redis-options.js'
import {
  instanceFactory,
  login,
  me,
  refusedWithin,
  register,
} from '../access-tokens/revocation/instances.js'
import { revocationAcrossInstances } from '../access-tokens/revocation/suite.js'

// The same behaviour on a three-master Redis Cluster: the revocations live on one slot,
// PUBLISH reaches the subscribers of every node over the cluster bus, and each instance's
// subscriber sits on whichever master it picked.
let cluster: RedisClusterProcess
const keyPrefix = 'rk-revocation:'

beforeAll(async () => {
  cluster = await startRedisCluster()
}, 120_000)
afterAll(async () => {
  await cluster?.stop()
})

const clusterClient = () =>
  new Cluster([...cluster.nodes], {
    ...failFastClusterOptions,
    redisOptions: { ...failFastClusterOptions.redisOptions, password: cluster.password },
  })

describe('two server instances on one Redis Cluster', () => {
  revocationAcrossInstances({ client: clusterClient, keyPrefix })
})

describe('an instance whose subscriber the cluster dropped', () => {
  const instances = instanceFactory({ client: clusterClient, keyPrefix })
  afterAll(() => instances.stopAll())

  it('subscribes again and refuses what is revoked afterwards', async () => {
    const a = await instances.start('A')
    const b = await instances.start('B')
    const user = await register(a)
    const first = await login(a, user)
    const second = await login(a, user)
    const admin = clusterClient()
    admin.on('error', () => {})
    try {
      await new Promise<void>((resolve) => admin.once('ready', () => resolve()))
      let killed = 0
      for (const node of admin.nodes('master')) {
        killed += Number(await node.call('CLIENT', 'KILL', 'TYPE', 'pubsub'))
      }
      // A and B each had a subscriber connection on some master.
      expect(killed).toBeGreaterThanOrEqual(2)
      expect(
        (await a.http.post('/auth/logout').send({ refreshToken: first.refreshToken })).status,
      ).toBe(204)
      await refusedWithin(b, first.accessToken, 20_000)
      expect((await me(b, second.accessToken)).status).toBe(200)
      expect(
        (await a.http.post('/auth/logout').send({ refreshToken: second.refreshToken })).status,
      ).toBe(204)
      await refusedWithin(b, second.accessToken, 20_000)
    } finally {
      await admin.quit().catch(() => admin.disconnect())
    }
  })
})
