import type { Cluster, Redis } from 'ioredis'
import { z } from 'zod'
import { checkOptions, oneOfRule, positiveNumberRule } from '../lib/options.js'
import { type PackedSession, redisKeys, unpackSession } from './lib/keys.js'
import {
  createSessionScript,
  getSessionScript,
  listSessionsScript,
  putUserScript,
  reclaimUsernameScript,
  releaseUserAgentScript,
  releaseUsernameScript,
  revokeAllSessionsScript,
  revokeSessionScript,
  rotateScript,
  type ScriptInput,
  STORE_SCRIPTS,
  type StoreScript,
  scriptArguments,
  setPasswordHashScript,
  shareUserAgentScript,
} from './lib/scripts.js'
import {
  checkCreateSessionInput,
  checkRotateInput,
  DEFAULT_USER_TTL_SECONDS,
  isIssuableGeneration,
  isLive,
  newestFirst,
  passwordChanged,
  toMs,
} from './lib/session-rules.js'
import { storeError } from './lib/unavailable.js'
import { createUserAgentCache, userAgentDigest } from './lib/user-agents.js'
import type {
  CreatedSession,
  RotatedSession,
  RotateResult,
  SessionRecord,
  TokenStore,
  UserRecord,
} from './types.js'

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /**
   * The client to use, built by the caller (with {@link failFastRedisOptions}, so an outage
   * fails fast): a `Redis` or a `Cluster`. The store never constructs, connects or closes it;
   * it defines its Lua scripts on it as `refreshKit*` commands.
   */
  redis: Redis | Cluster
  /**
   * Prepended to every key, so several deployments or tests can share one Redis.
   * @default 'rk:'
   */
  keyPrefix?: string
  /**
   * How long a user record (and its username) lives after registration or the user's latest
   * login: every {@link TokenStore.createSession} renews the record, and the username index
   * once a tenth of this time has passed since its last renewal (it lives in another slot,
   * so that costs a second command). Users who never come back within this time are
   * forgotten, so the user records cannot grow without bound.
   * @default 31_536_000 (one year)
   */
  userTtlSeconds?: number
  /**
   * Whose clock decides rotation times, the grace window and expiry: `'redis'`, the Redis
   * server's (`TIME` inside each script; on a cluster the slot's master), so that instances
   * whose clocks differ agree on one grace window; or `'caller'`, the `now` each call passes,
   * for tests that move time instead of sleeping.
   * @default 'redis'
   */
  clock?: 'redis' | 'caller'
}

/** How old a username claim with no user behind it must be before another user may take it. */
const ABANDONED_CLAIM_MS = 60_000

type Reply = unknown
type ScriptCommand = (...args: (string | number)[]) => Promise<Reply>

/** A Redis reply field as a string, or `null` for nil (RESP2) or false (a Lua false under RESP3). */
function text(value: Reply): string | null {
  if (typeof value === 'string') return value
  if (Buffer.isBuffer(value)) return value.toString()
  if (typeof value === 'number') return String(value)
  return null
}

function int(value: Reply): number {
  return Number(text(value) ?? Number.NaN)
}

function list(value: Reply): Reply[] {
  if (!Array.isArray(value)) throw new TypeError(`unexpected Redis reply: ${String(value)}`)
  return value
}

/** A session from its unpacked record, without its user agent. */
function toRotatedSession(
  userId: string,
  sessionId: string,
  fields: PackedSession,
): RotatedSession {
  return {
    id: sessionId,
    userId,
    createdAt: fields.createdAt,
    lastUsedAt: fields.lastUsedAt,
    absoluteExpiresAt: fields.absoluteExpiresAt,
    idleExpiresAt: fields.idleExpiresAt,
    generation: fields.generation,
    rotatedAt: fields.rotatedAt,
  }
}

/** A session from its unpacked record and its user agent. */
function toSession(
  userId: string,
  sessionId: string,
  fields: PackedSession,
  userAgent: string | null,
): SessionRecord {
  return { ...toRotatedSession(userId, sessionId, fields), userAgent }
}

/** A packed record as a script returns it, unpacked, or `null`. */
function unpacked(packed: Reply): PackedSession | null {
  const record = text(packed)
  return record === null ? null : unpackSession(record)
}

/**
 * How many user agents each store keeps in memory, by digest (about 1 MiB of strings at most):
 * more than the browsers and versions that are in use at any one time.
 */
const USER_AGENT_CACHE_SIZE = 8192

/**
 * How much longer than the absolute session lifetime a shared user-agent record is kept: the
 * record is written beside the login's script, not inside it, so it may start its TTL a moment
 * before the session starts its lifetime.
 */
const USER_AGENT_MARGIN_MS = 60 * 60 * 1000

/**
 * The production {@link TokenStore} on Redis or Redis Cluster.
 *
 * - Rotation is one Lua script run by SHA (one round trip; ioredis `defineCommand` sends
 *   EVALSHA and falls back to EVAL after a restart or `SCRIPT FLUSH` lost the script). It
 *   reads the username from the user hash in the same slot, so a refresh needs nothing else.
 * - Every key has a TTL, the keys of one user share one Cluster slot, and the store keeps
 *   ids, times and generation counters only: no refresh token can be rebuilt from it.
 * - An outage (closed connection, no offline queue, command or connect timeout, cluster
 *   down, a Redis still loading) rejects with {@link StoreUnavailableError}; any other
 *   error, a Lua error included, is rethrown as it is.
 *
 * @example
 * ```ts
 * const redis = new Redis(process.env.REDIS_URL, { ...failFastRedisOptions })
 * const store = createRedisStore({ redis, keyPrefix: 'rk:' })
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): TokenStore {
  const redis = options?.redis
  const keyPrefix = options?.keyPrefix ?? 'rk:'
  const userTtlSeconds = options?.userTtlSeconds ?? DEFAULT_USER_TTL_SECONDS
  const clock = options?.clock ?? 'redis'
  if (typeof redis !== 'object' || redis === null || typeof redis.defineCommand !== 'function') {
    throw new TypeError('redis must be an ioredis Redis or Cluster client')
  }
  // One prefix, the store's: a client-side one would be added to it, and keys would not be
  // where keyPrefix and `lib/keys.ts` say they are.
  const clientPrefix = (redis as { options?: { keyPrefix?: unknown } }).options?.keyPrefix
  if (typeof clientPrefix === 'string' && clientPrefix !== '') {
    throw new TypeError('redis must have no keyPrefix of its own: pass keyPrefix to the store')
  }
  checkOptions(
    'createRedisStore',
    { keyPrefix, clock, userTtlSeconds },
    {
      keyPrefix: { schema: z.string(), problem: 'must be a string' },
      clock: oneOfRule(['redis', 'caller'], "must be 'redis' or 'caller'"),
      userTtlSeconds: positiveNumberRule('seconds'),
    },
  )
  // The `now` argument of a script: empty makes it read the Redis server's clock.
  const at = (now: number): number | string => (clock === 'caller' ? now : '')
  const userTtlMs = toMs(userTtlSeconds)
  // While the user logs in, the index is renewed at least this often: it keeps 90% of its TTL
  // or more, and ends at most a tenth of the TTL before the user record it points to.
  const indexRenewalSeconds = Math.max(1, Math.floor(userTtlSeconds / 10))
  const keys = redisKeys(keyPrefix)
  const userAgents = createUserAgentCache(USER_AGENT_CACHE_SIZE)

  for (const script of STORE_SCRIPTS) {
    redis.defineCommand(script.name, { lua: script.lua, numberOfKeys: script.numberOfKeys })
  }
  const commands = redis as unknown as Record<string, ScriptCommand | undefined>
  function run<K extends string, A extends string>(
    script: StoreScript<K, A>,
    input: ScriptInput<K, A>,
  ): Promise<Reply> {
    const command = commands[script.name]
    if (command === undefined) throw new Error(`script ${script.name} is not defined`)
    return command.apply(redis, scriptArguments(script, input))
  }

  /** Runs `operation`, reporting an outage as `StoreUnavailableError` and nothing else. */
  async function guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation()
    } catch (error) {
      throw storeError(error)
    }
  }

  /**
   * The user agent of a session: the shared record its digest names, through the cache. The
   * record is read outside the scripts (it lives in another slot); a missing one is a session
   * without a user agent.
   */
  function userAgentOf(fields: PackedSession): string | null | Promise<string | null> {
    const digest = fields.userAgentDigest
    if (digest === null) return null
    const cached = userAgents.get(digest)
    if (cached !== undefined) return cached
    return redis.hget(keys.sharedUserAgent(digest), 'v').then((userAgent) => {
      if (userAgent !== null) userAgents.set(digest, userAgent)
      return userAgent
    })
  }

  /**
   * Counts down the shared user-agent records of sessions a script ended (their digests, as it
   * returns them: space-separated). Each record lives in its own slot, so this follows the
   * script rather than running in it. A release that fails leaves the record to its TTL:
   * the session is gone either way, and the answer should not wait on a record.
   */
  async function release(digests: Reply): Promise<void> {
    const released = text(digests)
    if (released === null || released === '') return
    await Promise.all(
      released.split(' ').map((digest) =>
        run(releaseUserAgentScript, {
          keys: { userAgent: keys.sharedUserAgent(digest) },
          args: {},
        }).catch(() => undefined),
      ),
    )
  }

  async function findUserById(id: string): Promise<UserRecord | null> {
    const [username, passwordHash, createdAt, version] = await redis.hmget(
      keys.user(id),
      'n',
      'h',
      'c',
      'v',
    )
    if (typeof username !== 'string' || typeof passwordHash !== 'string') return null
    const user = { id, username, passwordHash, createdAt: Number(createdAt) }
    // Absent until the first change of password, as in a record written by createUser.
    return version === null ? user : { ...user, passwordVersion: Number(version) }
  }

  /**
   * The username index first: SET NX decides between concurrent registrations. A username
   * whose index names no user, left by a registration that failed and could not undo its
   * claim (Redis went away in between), is taken over once that claim is a minute old.
   */
  async function claimUsername(indexKey: string, userId: string): Promise<boolean> {
    if ((await redis.set(indexKey, userId, 'PX', userTtlMs, 'NX')) === 'OK') return true
    const holder = await redis.get(indexKey)
    if (holder === null || (await redis.exists(keys.user(holder))) === 1) return false
    const reclaimed = await run(reclaimUsernameScript, {
      keys: { usernameIndex: indexKey },
      args: {
        holderId: holder,
        userId,
        userTtlMs,
        maxAbandonedPttlMs: userTtlMs - ABANDONED_CLAIM_MS,
      },
    })
    return int(reclaimed) === 1
  }

  return {
    createUser: (user) =>
      guard(async () => {
        // Indexed in lower case: `Alice` cannot register once `alice` exists.
        const indexKey = keys.username(user.username.toLowerCase())
        if (!(await claimUsername(indexKey, user.id))) return false
        try {
          const written = await run(putUserScript, {
            keys: { user: keys.user(user.id) },
            args: {
              username: user.username,
              passwordHash: user.passwordHash,
              createdAt: String(user.createdAt),
              userTtlMs,
            },
          })
          if (int(written) !== 1) throw new Error(`a user with id ${user.id} already exists`)
        } catch (error) {
          // Give the username back, or it would point at no user until its TTL ends.
          await run(releaseUsernameScript, {
            keys: { usernameIndex: indexKey },
            args: { userId: user.id },
          }).catch(() => undefined)
          throw error
        }
        return true
      }),

    findUserByUsername: (username) =>
      guard(async () => {
        const folded = username.toLowerCase()
        const byFolded = async (id: string | null) => {
          const user = id === null ? null : await findUserById(id)
          return user?.username.toLowerCase() === folded ? user : null
        }
        if (folded === username) return byFolded(await redis.get(keys.username(folded)))
        // Before 1.1 the index kept the name's exact case: such a name still works for its
        // owner, typed exactly as registered, and moves to the lower-case index on the way
        // when that one is free (see the README's migration note). It is asked first, so a
        // 1.0 `Alice` is not shadowed by a 1.0 `alice`. Two GETs: the keys are in two slots.
        const legacyKey = keys.username(username)
        const [id, legacyId] = await Promise.all([
          redis.get(keys.username(folded)),
          redis.get(legacyKey),
        ])
        const legacy = legacyId === null ? null : await findUserById(legacyId)
        if (legacyId !== null && legacy?.username === username) {
          if (
            id === null &&
            (await redis.set(keys.username(folded), legacyId, 'PX', userTtlMs, 'NX')) === 'OK'
          ) {
            await run(releaseUsernameScript, {
              keys: { usernameIndex: legacyKey },
              args: { userId: legacyId },
            })
          }
          return legacy
        }
        return byFolded(id)
      }),

    findUserById: (id) => guard(() => findUserById(id)),

    createSession: async (input): Promise<CreatedSession> => {
      checkCreateSessionInput(input)
      return guard(async () => {
        const { userId, sessionId, userAgent } = input
        const idleMs = toMs(input.idleTtlSeconds)
        const maxAgeMs = toMs(input.maxAgeSeconds)
        const digest = userAgent === null ? '' : userAgentDigest(userAgent)
        if (userAgent !== null) userAgents.set(digest, userAgent)
        const [reply] = await Promise.all([
          run(createSessionScript, {
            keys: { sessions: keys.sessions(userId), user: keys.user(userId) },
            args: {
              sessionId,
              now: at(input.now),
              idleHex: Math.min(idleMs, maxAgeMs).toString(16),
              maxAgeHex: maxAgeMs.toString(16),
              userTtlMs,
              userAgentDigest: digest,
              indexRenewalSeconds,
              maxSessions: input.maxSessions ?? 0,
              passwordVersion:
                input.passwordVersion === undefined ? '' : String(input.passwordVersion),
            },
          }).then(list),
          // Its own command: the record lives in another slot than the user's keys.
          userAgent === null
            ? undefined
            : run(shareUserAgentScript, {
                keys: { userAgent: keys.sharedUserAgent(digest) },
                args: { userAgent, ttlMs: maxAgeMs + USER_AGENT_MARGIN_MS },
              }),
        ])
        if (text(reply[0]) === '') {
          // No session names the user agent shared for it.
          await release(digest)
          throw passwordChanged()
        }
        const now = int(reply[0])
        const name = text(reply[1])
        const evictedSessionIds = reply.slice(3).map((id) => text(id) ?? '')
        await release(reply[2])
        // The username index lives in another slot, so renewing it takes a second command;
        // the script asks for it once per interval, so most logins are one round trip.
        if (name !== null && name !== '') {
          await redis.pexpire(keys.username(name.toLowerCase()), userTtlMs)
        }
        const absoluteExpiresAt = now + maxAgeMs
        return {
          id: sessionId,
          userId,
          createdAt: now,
          lastUsedAt: now,
          absoluteExpiresAt,
          idleExpiresAt: Math.min(now + idleMs, absoluteExpiresAt),
          generation: 0,
          rotatedAt: now,
          userAgent,
          evictedSessionIds,
        }
      })
    },

    rotate: async (input): Promise<RotateResult> => {
      checkRotateInput(input)
      if (!isIssuableGeneration(input.generation)) return { status: 'invalid' }
      return guard(async () => {
        const reply = list(
          await run(rotateScript, {
            keys: { sessions: keys.sessions(input.userId), user: keys.user(input.userId) },
            args: {
              sessionId: input.sessionId,
              generation: input.generation,
              now: at(input.now),
              idleMs: toMs(input.idleTtlSeconds),
              graceMs: toMs(input.graceSeconds),
            },
          }),
        )
        const status = int(reply[0])
        if (status !== 1 && status !== 2) {
          await release(reply[1])
          return { status: status === 3 ? 'reused' : 'invalid' }
        }
        const fields = unpacked(reply[1])
        const username = text(reply[2])
        if (fields === null || username === null) return { status: 'invalid' }
        const session = toRotatedSession(input.userId, input.sessionId, fields)
        return { status: status === 1 ? 'rotated' : 'grace', session, username }
      })
    },

    getSession: (userId, sessionId, now) =>
      guard(async () => {
        const reply = list(
          await run(getSessionScript, {
            keys: { sessions: keys.sessions(userId) },
            args: { sessionId, now: at(now) },
          }),
        )
        const fields = unpacked(reply[0])
        if (fields === null) return null
        const session = toSession(userId, sessionId, fields, await userAgentOf(fields))
        return isLive(session, int(reply[1])) ? session : null
      }),

    listSessions: (userId, now) =>
      guard(async () => {
        const reply = list(
          await run(listSessionsScript, {
            keys: { sessions: keys.sessions(userId) },
            args: { now: at(now) },
          }),
        )
        await release(reply[0])
        const sessions: Promise<SessionRecord>[] = []
        for (let at = 1; at + 1 < reply.length; at += 2) {
          const sessionId = text(reply[at])
          const fields = unpacked(reply[at + 1])
          if (sessionId === null || fields === null) continue
          // The shared records of a user's sessions are read in parallel, each once cached.
          sessions.push(
            Promise.resolve(userAgentOf(fields)).then((userAgent) =>
              toSession(userId, sessionId, fields, userAgent),
            ),
          )
        }
        return (await Promise.all(sessions)).sort(newestFirst)
      }),

    revokeSession: (userId, sessionId) =>
      guard(async () => {
        const [deleted, digest] = list(
          await run(revokeSessionScript, {
            keys: { sessions: keys.sessions(userId) },
            args: { sessionId },
          }),
        )
        await release(digest)
        return int(deleted) > 0
      }),

    revokeAllSessions: (userId, exceptSessionId) =>
      guard(async () => {
        const [digests, ended] = list(
          await run(revokeAllSessionsScript, {
            keys: { sessions: keys.sessions(userId) },
            args: { keepSessionId: exceptSessionId ?? '' },
          }),
        )
        await release(digests)
        return list(ended ?? [])
          .map(text)
          .filter((id): id is string => id !== null)
      }),

    setPasswordHash: (userId, passwordHash, options) =>
      guard(async () => {
        const updated = await run(setPasswordHashScript, {
          keys: { user: keys.user(userId) },
          args: { passwordHash, rehashOf: options?.rehashOf ?? '' },
        })
        return int(updated) === 1
      }),

    ping: () =>
      guard(async () => {
        await redis.ping()
      }),

    // The client belongs to the caller; the store opened nothing of its own.
    close: async () => {},
  }
}
