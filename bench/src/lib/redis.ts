// The workspace's Redis harness through its `redis` entry: the main entry also loads vitest,
// which this plain Node process does not run under.
import {
  type ProvisionedRedis,
  provisionRedis,
  type RedisServerProcess,
  startRedisServer,
} from '@refresh-kit/testing/redis'
import { Redis } from 'ioredis'

export type { ProvisionedRedis, RedisServerProcess }
export { provisionRedis, startRedisServer }

/**
 * A client for the bench's own bulk writes and reads: no fail-fast timeouts, since it queues
 * thousands of commands at once on purpose.
 *
 * @example
 * ```ts
 * const redis = benchRedisClient(url)
 * ```
 */
export function benchRedisClient(url: string): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, enableAutoPipelining: true })
}

/**
 * Deletes every key under `prefix` with SCAN and UNLINK (never KEYS), so a run against a
 * shared `REDIS_URL` leaves nothing behind.
 *
 * @example
 * ```ts
 * await deleteKeysUnder(redis, 'rk-bench:1a2b:')
 * ```
 */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0'
  let deleted = 0
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) deleted += await redis.unlink(...keys)
  } while (cursor !== '0')
  return deleted
}

/**
 * Runs `task(i)` for `i` in `[0, count)`, at most `concurrency` at a time: enough in flight to
 * keep the connection's pipeline full without queueing a million promises at once.
 *
 * @example
 * ```ts
 * await inBatches(100_000, 2000, (i) => store.createSession(inputs[i]))
 * ```
 */
export async function inBatches(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<unknown>,
): Promise<void> {
  for (let start = 0; start < count; start += concurrency) {
    const end = Math.min(count, start + concurrency)
    const batch: Promise<unknown>[] = []
    for (let i = start; i < end; i++) batch.push(task(i))
    await Promise.all(batch)
  }
}

/**
 * CPU seconds (user + system) the Redis server has used, from `INFO cpu`: its own account,
 * so it works for a Redis in another process, container or host.
 *
 * @example
 * ```ts
 * const before = await redisCpuSeconds(redis)
 * ```
 */
export async function redisCpuSeconds(redis: Redis): Promise<number | null> {
  try {
    const info = await redis.info('cpu')
    const user = Number(/^used_cpu_user:([\d.]+)/m.exec(info)?.[1])
    const system = Number(/^used_cpu_sys:([\d.]+)/m.exec(info)?.[1])
    return Number.isFinite(user + system) ? user + system : null
  } catch {
    return null
  }
}
