import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, inject } from 'vitest'
import './global-setup.js'

/** What a test file gets from {@link useTestRedis}. */
export interface TestRedis {
  /** The URL of the run's Redis. */
  readonly url: string
  /** A key prefix no other test file uses; pass it to the store under test. */
  readonly keyPrefix: string
  /** A client of the run's Redis, closed after the file; it does not add the prefix itself. */
  client(): Redis
  /** Every key under this file's prefix (SCAN, never KEYS). */
  keys(): Promise<string[]>
}

/**
 * Gives a test file its own key prefix on the run's Redis and removes its keys afterwards.
 * Call it at the top level of a `*.int.test.ts` file.
 *
 * @example
 * ```ts
 * const redis = useTestRedis('store')
 * const store = createRedisStore({ redis: redis.client(), keyPrefix: redis.keyPrefix })
 * ```
 */
export function useTestRedis(label = 'test'): TestRedis {
  const url = inject('redisUrl')
  if (url === undefined) {
    throw new Error(
      "No Redis was provided: add the shared global setup to this package's vitest config.",
    )
  }
  const keyPrefix = `t:${label}:${randomBytes(4).toString('hex')}:`
  const clients: Redis[] = []
  const client = () => {
    const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 })
    clients.push(redis)
    return redis
  }
  const keys = async () => {
    const admin = clients[0] ?? client()
    const found: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await admin.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000)
      cursor = next
      found.push(...batch)
    } while (cursor !== '0')
    return found
  }
  afterAll(async () => {
    const leftovers = await keys()
    const admin = clients[0]
    if (admin !== undefined && leftovers.length > 0) await admin.unlink(...leftovers)
    await Promise.all(clients.map((redis) => redis.quit().catch(() => redis.disconnect())))
  })
  return { url, keyPrefix, client, keys }
}
