import { type RedisClusterProcess, startRedisCluster } from '@refresh-kit/testing'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createAbuseLimits,
  DEFAULT_ABUSE_LIMIT_RULES,
} from '../../src/credentials/limits/abuse-limits.js'
import { isAuthError } from '../../src/errors.js'
import { failFastClusterOptions } from '../../src/store/redis-options.js'
import { createRedisStore } from '../../src/store/redis-store.js'
import { describeTokenStoreContract } from './contract.js'

// Every multi-key script must stay on one slot: on a real three-master cluster a key of
// another slot fails with CROSSSLOT, so the whole contract runs here too.
let cluster: RedisClusterProcess
let client: Cluster

beforeAll(async () => {
  cluster = await startRedisCluster()
  client = new Cluster([...cluster.nodes], {
    ...failFastClusterOptions,
    redisOptions: { ...failFastClusterOptions.redisOptions, password: cluster.password },
  })
  client.on('error', () => {})
  await new Promise<void>((resolve) => client.once('ready', () => resolve()))
}, 120_000)

afterAll(async () => {
  await client?.quit().catch(() => client.disconnect())
  await cluster?.stop()
})

describeTokenStoreContract('Redis Cluster store', () => ({
  // The contract moves time through each call's `now`: the store decides with it.
  store: createRedisStore({ redis: client, keyPrefix: 'rk:', clock: 'caller' }),
  passTime: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
}))

describe('Redis Cluster store', () => {
  it("spreads users over several masters, each user's sessions working on one slot", async () => {
    const store = createRedisStore({ redis: client, keyPrefix: 'spread:' })
    const now = Date.UTC(2026, 0, 1)
    for (let n = 0; n < 20; n++) {
      const userId = `user-${n}`
      const input = { userId, sessionId: `s-${n}`, userAgent: null, now }
      // Rotation reads the username from the user record, in the same slot.
      await store.createUser({
        id: userId,
        username: `spread-${n}`,
        passwordHash: 'h',
        createdAt: now,
      })
      await store.createSession({ ...input, idleTtlSeconds: 60, maxAgeSeconds: 600 })
      const rotated = await store.rotate({
        userId,
        sessionId: input.sessionId,
        generation: 0,
        now,
        idleTtlSeconds: 60,
        graceSeconds: 10,
      })
      expect(rotated.status).toBe('rotated')
      // Dated by the slot master's TIME, not by the (long past) `now` the caller passed.
      expect(rotated.status === 'rotated' && rotated.session.rotatedAt - now).toBeGreaterThan(
        24 * 3600 * 1000,
      )
      expect(await store.revokeAllSessions(userId)).toHaveLength(1)
      await store.createSession({ ...input, idleTtlSeconds: 60, maxAgeSeconds: 600 })
    }
    const sizes = await Promise.all(client.nodes('master').map((node) => node.dbsize()))
    expect(sizes.filter((size) => size > 0).length).toBeGreaterThan(1)
  })
})

describe('Redis Cluster store on a pipelined client, as main.ts builds it', () => {
  it('serves parallel logins, rotations and listings on many slots, their user agents in other slots, after SCRIPT FLUSH', async () => {
    const pipelined = new Cluster([...cluster.nodes], {
      ...failFastClusterOptions,
      enableAutoPipelining: true,
      redisOptions: { ...failFastClusterOptions.redisOptions, password: cluster.password },
    })
    pipelined.on('error', () => {})
    try {
      await new Promise<void>((resolve) => pipelined.once('ready', () => resolve()))
      const store = createRedisStore({ redis: pipelined, keyPrefix: 'pipelined:' })
      const now = Date.now()
      const users = Array.from({ length: 40 }, (_, n) => `user-${n}`)
      await Promise.all(
        users.map((id, n) =>
          store.createUser({ id, username: `pipelined-${n}`, passwordHash: 'h', createdAt: now }),
        ),
      )
      for (const node of pipelined.nodes('master')) await node.script('FLUSH')
      // Three logins each, sent together, with a bound of two: every batch mixes slots.
      const agent = (n: number, k: number) => `agent/${n % 5}/${k}`
      await Promise.all(
        users.flatMap((userId, n) =>
          [0, 1, 2].map((k) =>
            store.createSession({
              userId,
              sessionId: `s-${n}-${k}`,
              userAgent: agent(n, k),
              now,
              idleTtlSeconds: 60,
              maxAgeSeconds: 600,
              maxSessions: 2,
            }),
          ),
        ),
      )
      const rotated = await Promise.all(
        users.map((userId, n) =>
          store.rotate({
            userId,
            sessionId: `s-${n}-2`,
            generation: 0,
            now,
            idleTtlSeconds: 60,
            graceSeconds: 10,
          }),
        ),
      )
      expect(rotated.map((result) => result.status)).toEqual(users.map(() => 'rotated'))
      // Another instance: nothing cached, every user agent read from its own slot.
      const reader = createRedisStore({ redis: pipelined, keyPrefix: 'pipelined:' })
      const lists = await Promise.all(users.map((userId) => reader.listSessions(userId, now)))
      for (const [n, list] of lists.entries()) {
        expect(list).toHaveLength(2)
        for (const listed of list) {
          expect(listed.userAgent).toBe(agent(n, Number(listed.id.split('-')[2])))
        }
      }
    } finally {
      pipelined.disconnect()
    }
  })
})

describe('abuse limits on Redis Cluster', () => {
  it('grants exactly LOGIN_MAX_FAILURES of 100 parallel reservations per pair, for pairs on several masters', async () => {
    const limits = createAbuseLimits({
      redis: client,
      keyPrefix: 'limits:',
      rules: {
        ...DEFAULT_ABUSE_LIMIT_RULES,
        loginAttemptsPerAddress: { points: 0, durationSeconds: 60 },
      },
    })
    for (const user of ['ada', 'grace', 'linus', 'barbara']) {
      const results = await Promise.all(
        Array.from({ length: 100 }, () =>
          limits.reserveLogin(user, '192.0.2.1').then(
            () => 'granted',
            (error: unknown) => (isAuthError(error) ? error.code : String(error)),
          ),
        ),
      )
      expect(results.filter((r) => r === 'granted')).toHaveLength(5)
      expect(results.filter((r) => r === 'rate_limited')).toHaveLength(95)
    }
  })
})
