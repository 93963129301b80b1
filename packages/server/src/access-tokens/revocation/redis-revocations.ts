import type { Cluster, Redis } from 'ioredis'
import type { Clock } from '../../clock.js'
import { configDefault } from '../../config/schema.js'
import { AuthError } from '../../errors.js'
import { type Logger, silentLogger } from '../../logger.js'
import { defineScript, scriptArguments } from '../../store/lib/scripts.js'
import { storeError } from '../../store/lib/unavailable.js'
import { checkLifetime, keepFor, keptForSeconds } from './lib/lifetime.js'
import { subscribe } from './lib/subscriber.js'
import { createRevocationList, sessionEnded } from './revocation-list.js'
import type { AccessTokenRevocations, RevocationCheck } from './types.js'

/** Options of {@link createRevocationListener}. */
export interface RevocationListenerOptions {
  /**
   * The token server's Redis or Redis Cluster client. It is used for the loads only; the
   * subscription runs on a connection of its own, derived from it and closed by `close()`.
   */
  redis: Redis | Cluster
  /** The token server's `REDIS_KEY_PREFIX`. @default 'rk:' */
  keyPrefix?: string
  /** Milliseconds since the epoch. @default Date.now */
  clock?: Clock
  /** Where a lost or restored feed is reported. @default a logger that drops everything */
  logger?: Logger
}

/** Options of {@link createRedisRevocations}. */
export interface RedisRevocationsOptions extends RevocationListenerOptions {
  /** The access-token lifetime, in seconds (`ACCESS_TOKEN_TTL`): how long a revocation is kept. */
  accessTokenTtlSeconds: number
  /** The leeway access tokens are verified with, in seconds (`CLOCK_TOLERANCE`). */
  clockToleranceSeconds: number
}

/** The key of the recorded revocations and the channel they are published on. */
export function revocationNames(keyPrefix: string): { key: string; channel: string } {
  // One hash tag: a single key, so one script call records and publishes on a cluster.
  return { key: `${keyPrefix}{rv}:revoked`, channel: `${keyPrefix}revocations` }
}

/**
 * KEYS: the revocation sorted set. ARGV: channel, now (ms), expiresAt (ms), the message
 * (JSON `{ e, m }`, its members `s:<sessionId>` or `u:<notBefore>:<userId>`). Members are
 * scored by the time after which they can match no valid access token; expired ones are
 * dropped on the way, and the key lives as long as its last member, so nothing outlives its
 * use. Recording and publishing are one step: no instance hears of a revocation that is not
 * recorded, and none that is recorded goes unannounced.
 */
const recordScript = defineScript({
  name: 'refreshKitRecordRevocations',
  keys: ['revoked'],
  args: ['channel', 'now', 'expiresAt', 'message'],
  helpers: false,
  lua: `
local now = tonumber(ARG.now)
local expiresAt = tonumber(ARG.expiresAt)
redis.call('ZREMRANGEBYSCORE', KEY.revoked, '-inf', ARG.now)
for _, member in ipairs(cjson.decode(ARG.message).m) do
  redis.call('ZADD', KEY.revoked, 'GT', ARG.expiresAt, member)
end
local keep = expiresAt - now
if redis.call('PTTL', KEY.revoked) < keep then
  redis.call('PEXPIRE', KEY.revoked, string.format('%d', keep))
end
return redis.call('PUBLISH', ARG.channel, ARG.message)
`,
})

interface Message {
  /** Expiry of every member, ms. */
  e: number
  /** Members, as in the sorted set. */
  m: string[]
}

type RecordCommand = (...args: (string | number)[]) => Promise<unknown>

const unavailable = () =>
  new AuthError(
    'service_unavailable',
    'ended sessions cannot be checked yet: the token store has not answered',
    { retryAfterSeconds: 2 },
  )

interface Listener extends RevocationCheck {
  /** Adds members as recorded; what this process revokes is refused before any message. */
  apply(members: readonly string[], expiresAt: number): void
}

function listen(options: RevocationListenerOptions, name: string): Listener {
  const { redis } = options
  if (typeof redis !== 'object' || redis === null || typeof redis.zrange !== 'function') {
    throw new TypeError(`${name}: options.redis must be an ioredis Redis or Cluster client`)
  }
  // The channel is not a key, so a client-side prefix would reach the key and not the channel.
  const clientPrefix = (redis as { options?: { keyPrefix?: unknown } }).options?.keyPrefix
  if (typeof clientPrefix === 'string' && clientPrefix !== '') {
    throw new TypeError(`${name}: options.redis must have no keyPrefix of its own: pass keyPrefix`)
  }
  const keyPrefix = options.keyPrefix ?? configDefault('REDIS_KEY_PREFIX')
  if (typeof keyPrefix !== 'string')
    throw new TypeError(`${name}: options.keyPrefix must be a string`)
  const clock = options.clock ?? Date.now
  const logger = options.logger ?? silentLogger
  const { key, channel } = revocationNames(keyPrefix)
  const list = createRevocationList({ clock })

  const apply = (members: readonly string[], expiresAt: number) => {
    if (expiresAt <= clock()) return
    for (const member of members) {
      if (member.startsWith('s:')) {
        list.addSession(member.slice(2), expiresAt)
      } else if (member.startsWith('u:')) {
        const at = member.indexOf(':', 2)
        const notBefore = Number(member.slice(2, at))
        if (at > 2 && Number.isSafeInteger(notBefore)) {
          list.addUser(member.slice(at + 1), notBefore, expiresAt)
        }
      }
    }
  }

  let loaded = false
  let closed = false
  let epoch = 0
  let resolveReady: () => void = () => {}
  const readyPromise = new Promise<void>((resolve) => {
    resolveReady = resolve
  })
  let retryTimer: NodeJS.Timeout | undefined

  /** Loads every recorded revocation; retried until it succeeds or a newer load starts. */
  const load = async (current: number, attempt: number): Promise<void> => {
    if (closed || current !== epoch) return
    try {
      const reply = await redis.zrange(key, clock(), '+inf', 'BYSCORE', 'WITHSCORES')
      for (let at = 0; at + 1 < reply.length; at += 2) {
        apply([String(reply[at])], Number(reply[at + 1]))
      }
      if (closed || current !== epoch) return
      if (!loaded) {
        loaded = true
        resolveReady()
      } else {
        logger.info('revocation feed restored; recorded revocations reloaded', list.size())
      }
    } catch (error) {
      if (closed || current !== epoch) return
      if (attempt === 0) {
        logger.warn('cannot load the recorded revocations; retrying', {
          error: (storeError(error) as Error).message,
        })
      }
      retryTimer = setTimeout(
        () => void load(current, attempt + 1),
        Math.min(2000, 100 * 2 ** attempt),
      )
    }
  }

  const subscription = subscribe(redis, channel, {
    message(text) {
      let message: Message
      try {
        message = JSON.parse(text) as Message
      } catch {
        return
      }
      if (typeof message?.e === 'number' && Array.isArray(message.m)) {
        apply(
          message.m.filter((member): member is string => typeof member === 'string'),
          message.e,
        )
      }
    },
    subscribed() {
      // Subscribed first, loaded second: whatever is published meanwhile arrives as a message.
      epoch += 1
      if (retryTimer !== undefined) clearTimeout(retryTimer)
      void load(epoch, 0)
    },
    lost(error) {
      logger.warn(
        'revocation feed lost; sessions ended elsewhere are refused once it is back',
        error === undefined ? {} : { error: error.message },
      )
    },
  })

  return {
    apply,
    assertNotRevoked(claims) {
      if (!loaded) throw unavailable()
      if (list.isRevoked(claims)) throw sessionEnded()
    },
    ready: () => readyPromise,
    size: () => list.size(),
    close: async () => {
      closed = true
      if (retryTimer !== undefined) clearTimeout(retryTimer)
      await subscription.close()
    },
  }
}

/**
 * The revocations recorded by the token server, held in memory for another Koa service's
 * `requireAuth`: subscribed to the token server's channel, loaded from Redis at start and
 * after every reconnection, checked without a Redis call. Before the first load it refuses
 * with `503 service_unavailable`; await `ready()` before listening.
 *
 * @example
 * ```ts
 * const revocations = createRevocationListener({ redis, keyPrefix: 'rk:' })
 * await revocations.ready()
 * app.use(requireAuth({ jwksUri, revocations }))
 * ```
 */
export function createRevocationListener(options: RevocationListenerOptions): RevocationCheck {
  const { apply: _apply, ...check } = listen(options, 'createRevocationListener')
  return check
}

/**
 * The token server's revocations on Redis: every ended session (and a user's not-before
 * time for logout-all) is recorded in one sorted set for the access-token lifetime and
 * published on one channel, in one script call; every instance holds them in memory
 * (see {@link createRevocationListener}) and refuses matching access tokens at once.
 *
 * @example
 * ```ts
 * const revocations = createRedisRevocations({ redis, keyPrefix: 'rk:', accessTokenTtlSeconds: 900, clockToleranceSeconds: 5 })
 * await revocations.ready()
 * const tokens = createAuthService({ ...authSettingsOf(config), store, keys, revocations })
 * ```
 */
export function createRedisRevocations(options: RedisRevocationsOptions): AccessTokenRevocations {
  const ttl = options.accessTokenTtlSeconds
  const tolerance = options.clockToleranceSeconds
  checkLifetime('createRedisRevocations', ttl, tolerance)
  const listener = listen(options, 'createRedisRevocations')
  const { redis } = options
  const clock = options.clock ?? Date.now
  const { key, channel } = revocationNames(options.keyPrefix ?? configDefault('REDIS_KEY_PREFIX'))
  redis.defineCommand(recordScript.name, {
    lua: recordScript.lua,
    numberOfKeys: recordScript.numberOfKeys,
  })
  const record = (redis as unknown as Record<string, RecordCommand>)[recordScript.name]
  if (record === undefined) throw new Error(`script ${recordScript.name} is not defined`)
  const { apply, ...check } = listener

  return {
    ...check,
    keptForSeconds: keptForSeconds(ttl, tolerance),
    async revoke({ userId, sessionIds, notBefore }) {
      const members = sessionIds.map((id) => `s:${id}`)
      if (notBefore !== undefined) members.push(`u:${notBefore}:${userId}`)
      if (members.length === 0) return
      const now = clock()
      const expiresAt = now + keepFor(ttl, tolerance)
      // Refused here before Redis is even asked: this instance never serves an ended session.
      apply(members, expiresAt)
      const message = JSON.stringify({ e: expiresAt, m: members } satisfies Message)
      try {
        await record.apply(
          redis,
          scriptArguments(recordScript, {
            keys: { revoked: key },
            args: { channel, now, expiresAt, message },
          }),
        )
      } catch (error) {
        throw storeError(error)
      }
    },
  }
}
