import type { ClusterOptions, RedisOptions } from 'ioredis'

/** The ioredis options that {@link failFastRedisOptions} sets. */
export type FailFastRedisOptions = Readonly<
  Required<
    Pick<
      RedisOptions,
      | 'enableOfflineQueue'
      | 'maxRetriesPerRequest'
      | 'connectTimeout'
      | 'commandTimeout'
      | 'retryStrategy'
    >
  >
>

/** Reconnect delay: 100 ms, 200 ms, ... capped at 2 s, forever, so service resumes by itself. */
function reconnectDelay(times: number): number {
  return Math.min(times * 100, 2000)
}

/**
 * ioredis options under which a Redis outage fails fast instead of hanging: commands are
 * never queued while disconnected, a command or a connection attempt gives up after about
 * a second, and the client keeps reconnecting in the background, so the server answers
 * `503` within 2 s during an outage and serves again as soon as Redis is back, with no
 * restart. Spread them into every client the token store is given.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * const redis = new Redis(process.env.REDIS_URL, { ...failFastRedisOptions })
 * const store = createRedisStore({ redis })
 * ```
 */
export const failFastRedisOptions: FailFastRedisOptions = Object.freeze({
  // Without it, commands issued while disconnected wait for the reconnection: a hang.
  enableOfflineQueue: false,
  // A command that was in flight when the connection dropped fails at the first reconnect.
  maxRetriesPerRequest: 1,
  connectTimeout: 1000,
  commandTimeout: 1000,
  retryStrategy: reconnectDelay,
})

/** The ioredis Cluster options that {@link failFastClusterOptions} sets. */
export type FailFastClusterOptions = Readonly<
  Required<Pick<ClusterOptions, 'enableOfflineQueue' | 'clusterRetryStrategy'>> & {
    redisOptions: Readonly<
      Required<Pick<RedisOptions, 'maxRetriesPerRequest' | 'connectTimeout' | 'commandTimeout'>>
    >
  }
>

/**
 * The Redis Cluster counterpart of {@link failFastRedisOptions}, for `new Cluster(nodes, ...)`.
 *
 * @example
 * ```ts
 * import { Cluster } from 'ioredis'
 * const redis = new Cluster(nodes, { ...failFastClusterOptions })
 * ```
 */
export const failFastClusterOptions: FailFastClusterOptions = Object.freeze({
  enableOfflineQueue: false,
  clusterRetryStrategy: reconnectDelay,
  redisOptions: Object.freeze({
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    commandTimeout: 1000,
  }),
})
