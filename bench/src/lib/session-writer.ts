import { randomBytes } from 'node:crypto'
import { createRedisStore, type TokenStore } from '@refresh-kit/server'
import type { Cluster, Redis } from 'ioredis'
import { inBatches } from './redis.js'

/** One session written for a load run: enough to issue its refresh tokens. */
export interface WrittenSession {
  userId: string
  sessionId: string
}

/** Options of {@link writeSessions}. */
export interface WriteSessionsOptions {
  redis: Redis | Cluster
  keyPrefix: string
  users: number
  sessionsPerUser: number
  /** The user record's password hash (any string the server can parse). */
  passwordHash: string
  /** Called with each session, so the caller keeps only what it needs. */
  onSession?: (session: WrittenSession, index: number) => void
  idleMs?: number
  maxAgeMs?: number
}

/** How the sessions were written and how long it took. */
export interface WriteSessionsResult {
  sessions: number
  users: number
  seconds: number
  /** `direct`: pipelined writes in the store's key layout; `store`: one `createSession` each. */
  method: 'direct' | 'store'
}

const hex = (value: number) => value.toString(16)
const USER_TTL_MS = 365 * 24 * 3600 * 1000

/**
 * Writes `users × sessionsPerUser` live sessions with their user records. Fast path: the
 * store's key layout written directly (one HSET of all of a user's sessions, their packed
 * records `g:c:l:a:i` without a user agent, plus the user hash and its username index),
 * pipelined. The first
 * user is then read back through the store itself; if the store does not see its sessions
 * (the layout moved on), everything is written again through `store.createSession`, slower
 * but always right.
 *
 * @example
 * ```ts
 * await writeSessions({ redis, keyPrefix: 'rk:', users: 250_000, sessionsPerUser: 4, passwordHash })
 * ```
 */
export async function writeSessions(options: WriteSessionsOptions): Promise<WriteSessionsResult> {
  const { redis, keyPrefix, users, sessionsPerUser } = options
  const idleMs = options.idleMs ?? 3_600_000
  const maxAgeMs = options.maxAgeMs ?? 7_200_000
  const started = Date.now()
  const now = Date.now()
  const packed = [0, now, 0, maxAgeMs, Math.min(idleMs, maxAgeMs)].map(hex).join(':')
  const userIds = Array.from({ length: users }, () => randomBytes(16).toString('base64url'))
  // Ids as the server makes them: 16 random bytes, 22 base64url characters.
  const sessions: string[][] = userIds.map(() =>
    Array.from({ length: sessionsPerUser }, () => randomBytes(16).toString('base64url')),
  )
  const tag = (userId: string) => `${keyPrefix}{u:${userId}}`
  const writeUser = (target: Redis | Cluster | ReturnType<Redis['pipeline']>, user: number) => {
    const userId = userIds[user] ?? ''
    const username = `bench-${userId}`
    const fields: string[] = []
    for (const sessionId of sessions[user] ?? []) fields.push(sessionId, packed)
    const promises = [
      target.hset(`${tag(userId)}:u`, 'n', username, 'h', options.passwordHash, 'c', String(now)),
      target.pexpire(`${tag(userId)}:u`, USER_TTL_MS),
      target.set(`${keyPrefix}un:${username}`, userId, 'PX', USER_TTL_MS),
      target.hset(`${tag(userId)}:s`, ...fields),
      target.pexpire(`${tag(userId)}:s`, idleMs),
    ]
    return promises
  }

  const direct = async () => {
    if (redis.isCluster) {
      // A cluster pipeline needs one slot: auto-pipelining batches per node instead.
      await inBatches(users, 1000, (user) => Promise.all(writeUser(redis, user)))
      return
    }
    const chunk = 2000
    for (let start = 0; start < users; start += chunk) {
      const pipeline = (redis as Redis).pipeline()
      for (let user = start; user < Math.min(users, start + chunk); user++)
        writeUser(pipeline, user)
      await pipeline.exec()
    }
  }

  await direct()
  const store: TokenStore = createRedisStore({ redis, keyPrefix })
  const firstUser = userIds[0] ?? ''
  const firstSession = sessions[0]?.[0] ?? ''
  const seen = await store.getSession(firstUser, firstSession, Date.now())
  let method: WriteSessionsResult['method'] = 'direct'
  if (seen === null || seen.generation !== 0) {
    method = 'store'
    await inBatches(users, 200, async (user) => {
      const userId = userIds[user] ?? ''
      for (const sessionId of sessions[user] ?? []) {
        await store.createSession({
          userId,
          sessionId,
          userAgent: null,
          now,
          idleTtlSeconds: idleMs / 1000,
          maxAgeSeconds: maxAgeMs / 1000,
        })
      }
    })
  }
  if (options.onSession !== undefined) {
    let index = 0
    for (let user = 0; user < users; user++) {
      for (const sessionId of sessions[user] ?? []) {
        options.onSession({ userId: userIds[user] ?? '', sessionId }, index)
        index += 1
      }
    }
  }
  return {
    sessions: users * sessionsPerUser,
    users,
    seconds: (Date.now() - started) / 1000,
    method,
  }
}
