import { randomBytes } from 'node:crypto'
import { createRedisStore } from '@refresh-kit/server'
import type { Redis } from 'ioredis'
import { benchRedisClient, inBatches, startRedisServer } from '../lib/redis.js'

/** One population of sessions and what it cost Redis. */
export interface MemoryRow {
  label: string
  sessions: number
  userAgentBytes: number
  usedMemoryBefore: number
  usedMemoryAfter: number
  bytesPerSession: number
  writeSeconds: number
  /** The keys of one user after its session was written, as Redis itself sizes them. */
  sample: SampleKey[]
}

/** One key of a sampled user: what `TYPE`, `OBJECT ENCODING` and `MEMORY USAGE` say. */
export interface SampleKey {
  /** The key with the user id replaced by `<user>` and the session id by `<session>`. */
  key: string
  type: string
  encoding: string
  memoryUsage: number
}

/** What {@link measureStoreMemory} found. */
export interface MemoryResult {
  redisVersion: string
  method: string
  /** Bytes per user record (with its username index), from 10,000 users measured the same way. */
  bytesPerUser: number
  rows: MemoryRow[]
}

// What a desktop browser sends; the server keeps it so `GET /auth/sessions` can show it.
const BROWSER_USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'

async function sampleUser(redis: Redis, userId: string, sessionId: string): Promise<SampleKey[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `*${userId}*`, 'COUNT', 10_000)
    cursor = next
    keys.push(...found)
  } while (cursor !== '0')
  const sample: SampleKey[] = []
  for (const key of keys.sort()) {
    sample.push({
      key: key.replace(userId, '<user>').replace(sessionId, '<session>'),
      type: await redis.type(key),
      encoding: String(await redis.object('ENCODING', key)),
      memoryUsage: Number(await redis.memory('USAGE', key)),
    })
  }
  return sample
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory')
  const match = /^used_memory:(\d+)/m.exec(info)
  if (match?.[1] === undefined) throw new Error('INFO memory has no used_memory')
  return Number(match[1])
}

/**
 * Writes `count` sessions through the server's real Redis store into a `redis-server` of its
 * own (so nothing else moves `used_memory`), one session per user (the worst case: each
 * session brings its user's session index along), with and without a browser user agent, and
 * divides the `used_memory` delta by the sessions. User records are a cost per user, measured
 * on their own.
 *
 * @example
 * ```ts
 * const { rows } = await measureStoreMemory(100_000, console.log)
 * ```
 */
export async function measureStoreMemory(
  count: number,
  log: (line: string) => void,
): Promise<MemoryResult> {
  const server = await startRedisServer()
  const redis = benchRedisClient(server.url)
  try {
    const infoServer = await redis.info('server')
    const redisVersion = /^redis_version:(\S+)/m.exec(infoServer)?.[1] ?? 'unknown'
    const store = createRedisStore({ redis, keyPrefix: 'rk:' })
    const passwordHash = `scrypt$32768$8$1$${randomBytes(16).toString('base64url')}$${randomBytes(32).toString('base64url')}`
    const rows: MemoryRow[] = []
    const populations = [
      { label: 'browser user agent', userAgent: BROWSER_USER_AGENT },
      { label: 'no user agent', userAgent: null },
    ]
    // Users first, on their own: a session's figure must not carry its user's record.
    await redis.flushall()
    const userSample = Math.min(count, 10_000)
    const beforeUsers = await usedMemory(redis)
    await inBatches(userSample, 2000, (i) =>
      store.createUser({
        id: randomBytes(16).toString('base64url'),
        username: `user-${i}`,
        passwordHash,
        createdAt: Date.now(),
      }),
    )
    const bytesPerUser = ((await usedMemory(redis)) - beforeUsers) / userSample
    for (const population of populations) {
      await redis.flushall()
      // The sessions' users are not written: the store keeps a session whether or not it
      // holds the user's record, and the record is a cost per user, measured above.
      const userIds = Array.from({ length: count }, () => randomBytes(16).toString('base64url'))
      const sessionIds = Array.from({ length: count }, () => randomBytes(16).toString('base64url'))
      const before = await usedMemory(redis)
      const started = Date.now()
      const now = Date.now()
      await inBatches(count, 2000, (i) =>
        store.createSession({
          userId: userIds[i] ?? '',
          sessionId: sessionIds[i] ?? '',
          userAgent: population.userAgent,
          now,
          idleTtlSeconds: 604_800,
          maxAgeSeconds: 2_592_000,
        }),
      )
      const writeSeconds = (Date.now() - started) / 1000
      const after = await usedMemory(redis)
      const row = {
        label: population.label,
        sessions: count,
        userAgentBytes: population.userAgent === null ? 0 : Buffer.byteLength(population.userAgent),
        usedMemoryBefore: before,
        usedMemoryAfter: after,
        bytesPerSession: (after - before) / count,
        writeSeconds,
        sample: await sampleUser(redis, userIds[0] ?? '', sessionIds[0] ?? ''),
      }
      log(
        `memory: ${count} sessions (${population.label}) in ${writeSeconds.toFixed(1)} s: ${row.bytesPerSession.toFixed(1)} bytes/session`,
      )
      rows.push(row)
    }
    return {
      redisVersion,
      method:
        'a dedicated redis-server, flushed before each population; used_memory (INFO memory) after the sessions minus before, over the sessions; one session per user (each session brings its own user index)',
      bytesPerUser,
      rows,
    }
  } finally {
    redis.disconnect()
    await server.dispose()
  }
}
