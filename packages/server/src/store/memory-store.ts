import { z } from 'zod'
import type { Clock } from '../clock.js'
import { checkOptions, functionRule, positiveNumberRule } from '../lib/options.js'
import {
  checkCreateSessionInput,
  checkRotateInput,
  DEFAULT_USER_TTL_SECONDS,
  isIssuableGeneration,
  isLive,
  leastRecentlyUsedFirst,
  newestFirst,
  passwordChanged,
  toMs,
} from './lib/session-rules.js'
import type {
  CreatedSession,
  CreateSessionInput,
  RotatedSession,
  RotateInput,
  RotateResult,
  SessionRecord,
  TokenStore,
  UserRecord,
} from './types.js'

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The store's own clock, for what no caller passes a time to: key lifetimes and the
   * sweeping that frees expired entries. Session expiry is still decided with the `now` of
   * each call, exactly as in the Redis store.
   * @default Date.now
   */
  now?: Clock
  /**
   * How long a user record lives after its registration or its latest login
   * ({@link TokenStore.createSession} renews it), as a Redis key TTL would.
   * @default 31_536_000 (one year)
   */
  userTtlSeconds?: number
  /**
   * How often, at most, a call sweeps every expired entry. Between sweeps, entries are
   * checked when they are read.
   * @default 60_000
   */
  sweepIntervalMs?: number
}

interface Timed<T> {
  value: T
  /** On the store's own clock, like a Redis TTL. */
  deadline: number
}

/** What a rotation returns: the Redis store's rotation never reads the user agent either. */
function withoutUserAgent({ userAgent: _userAgent, ...session }: SessionRecord): RotatedSession {
  return session
}
/**
 * A {@link TokenStore} in process memory: zero setup for development and tests, one process
 * only (sessions are lost on restart and not shared between instances). It follows the
 * same contract as the Redis store; expired entries are swept lazily, so memory stays bounded.
 *
 * @example
 * ```ts
 * const store = createMemoryStore()
 * await store.createUser({ id: 'u1', username: 'ada', passwordHash, createdAt: Date.now() })
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): TokenStore {
  const clock = options.now ?? Date.now
  const userTtlSeconds = options.userTtlSeconds ?? DEFAULT_USER_TTL_SECONDS
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000
  checkOptions(
    'createMemoryStore',
    { now: clock, userTtlSeconds, sweepIntervalMs },
    {
      now: functionRule,
      userTtlSeconds: positiveNumberRule('seconds'),
      sweepIntervalMs: {
        schema: z.number().finite().min(0),
        problem: 'must be zero or a positive number of milliseconds',
      },
    },
  )
  const userTtlMs = toMs(userTtlSeconds)

  const users = new Map<string, Timed<UserRecord>>()
  const usernames = new Map<string, Timed<string>>()
  const sessions = new Map<string, Map<string, Timed<SessionRecord>>>()
  let lastSweep = Number.NEGATIVE_INFINITY

  function sweep(): void {
    const at = clock()
    if (at - lastSweep < sweepIntervalMs) return
    lastSweep = at
    for (const [id, entry] of users) if (entry.deadline <= at) users.delete(id)
    for (const [name, entry] of usernames) if (entry.deadline <= at) usernames.delete(name)
    for (const [userId, family] of sessions) {
      for (const [id, entry] of family) if (entry.deadline <= at) family.delete(id)
      if (family.size === 0) sessions.delete(userId)
    }
  }

  function alive<T>(map: Map<string, Timed<T>>, key: string): T | undefined {
    const entry = map.get(key)
    if (entry === undefined) return undefined
    if (entry.deadline <= clock()) {
      map.delete(key)
      return undefined
    }
    return entry.value
  }

  function familyOf(userId: string): Map<string, Timed<SessionRecord>> | undefined {
    const family = sessions.get(userId)
    if (family === undefined) return undefined
    const at = clock()
    for (const [id, entry] of family) if (entry.deadline <= at) family.delete(id)
    if (family.size === 0) {
      sessions.delete(userId)
      return undefined
    }
    return family
  }

  function removeSession(userId: string, sessionId: string): boolean {
    const family = sessions.get(userId)
    if (family === undefined) return false
    const removed = family.delete(sessionId)
    if (family.size === 0) sessions.delete(userId)
    return removed
  }

  /** Stores the session with a memory deadline as far away as its idle expiry is from `now`. */
  function putSession(session: SessionRecord, now: number): void {
    let family = sessions.get(session.userId)
    if (family === undefined) {
      family = new Map()
      sessions.set(session.userId, family)
    }
    family.set(session.id, {
      value: { ...session },
      deadline: clock() + (session.idleExpiresAt - now),
    })
  }

  return {
    async createUser(user) {
      sweep()
      // Usernames are unique in any case; the record keeps the case it was given.
      const folded = user.username.toLowerCase()
      if (alive(usernames, folded) !== undefined) return false
      if (alive(users, user.id) !== undefined) {
        throw new Error(`a user with id ${user.id} already exists`)
      }
      const deadline = clock() + userTtlMs
      usernames.set(folded, { value: user.id, deadline })
      users.set(user.id, { value: { ...user }, deadline })
      return true
    },

    async findUserByUsername(username) {
      sweep()
      const folded = username.toLowerCase()
      const id = alive(usernames, folded)
      if (id === undefined) return null
      const user = alive(users, id)
      return user === undefined || user.username.toLowerCase() !== folded ? null : { ...user }
    },

    async findUserById(id) {
      sweep()
      const user = alive(users, id)
      return user === undefined ? null : { ...user }
    },

    async createSession(input: CreateSessionInput): Promise<CreatedSession> {
      checkCreateSessionInput(input)
      sweep()
      if (input.passwordVersion !== undefined) {
        const owner = alive(users, input.userId)
        if (owner === undefined || (owner.passwordVersion ?? 0) !== input.passwordVersion) {
          throw passwordChanged()
        }
      }
      const { now } = input
      const maxSessions = input.maxSessions ?? 0
      const evictedSessionIds: string[] = []
      const family = familyOf(input.userId)
      if (family !== undefined) {
        const live: SessionRecord[] = []
        for (const [id, entry] of family) {
          if (isLive(entry.value, now)) live.push(entry.value)
          else family.delete(id)
        }
        // As the Redis script does: the least recently used go, in the login's own step.
        if (maxSessions > 0 && live.length >= maxSessions) {
          live.sort(leastRecentlyUsedFirst)
          for (const session of live.slice(0, live.length - maxSessions + 1)) {
            family.delete(session.id)
            evictedSessionIds.push(session.id)
          }
        }
      }
      const absoluteExpiresAt = now + toMs(input.maxAgeSeconds)
      const session: SessionRecord = {
        id: input.sessionId,
        userId: input.userId,
        createdAt: now,
        lastUsedAt: now,
        absoluteExpiresAt,
        idleExpiresAt: Math.min(now + toMs(input.idleTtlSeconds), absoluteExpiresAt),
        generation: 0,
        rotatedAt: now,
        userAgent: input.userAgent,
      }
      putSession(session, now)
      // A login renews the user record, as the Redis store renews its keys' TTLs.
      const user = alive(users, input.userId)
      if (user !== undefined) {
        const deadline = clock() + userTtlMs
        users.set(user.id, { value: user, deadline })
        const index = usernames.get(user.username.toLowerCase())
        if (index !== undefined && index.value === user.id) index.deadline = deadline
      }
      return { ...session, evictedSessionIds }
    },

    async rotate(input: RotateInput): Promise<RotateResult> {
      checkRotateInput(input)
      sweep()
      const { now, generation } = input
      const session = familyOf(input.userId)?.get(input.sessionId)?.value
      if (session === undefined || !isIssuableGeneration(generation)) return { status: 'invalid' }
      // A session outlives neither its expiry nor its user's record.
      const user = alive(users, input.userId)
      if (user === undefined || !isLive(session, now)) {
        removeSession(input.userId, input.sessionId)
        return { status: 'invalid' }
      }
      const { username } = user
      if (generation === session.generation) {
        const rotated: SessionRecord = {
          ...session,
          generation: session.generation + 1,
          rotatedAt: now,
          lastUsedAt: now,
          idleExpiresAt: Math.min(now + toMs(input.idleTtlSeconds), session.absoluteExpiresAt),
        }
        putSession(rotated, now)
        return { status: 'rotated', session: withoutUserAgent(rotated), username }
      }
      if (generation > session.generation) return { status: 'invalid' }
      if (
        generation === session.generation - 1 &&
        now - session.rotatedAt <= toMs(input.graceSeconds)
      ) {
        return { status: 'grace', session: withoutUserAgent(session), username }
      }
      removeSession(input.userId, input.sessionId)
      return { status: 'reused' }
    },

    async getSession(userId, sessionId, now) {
      sweep()
      const session = familyOf(userId)?.get(sessionId)?.value
      return session === undefined || !isLive(session, now) ? null : { ...session }
    },

    async listSessions(userId, now) {
      sweep()
      const family = familyOf(userId)
      if (family === undefined) return []
      const live: SessionRecord[] = []
      for (const [id, entry] of family) {
        if (isLive(entry.value, now)) live.push({ ...entry.value })
        else family.delete(id)
      }
      if (family.size === 0) sessions.delete(userId)
      return live.sort(newestFirst)
    },

    async revokeSession(userId, sessionId) {
      sweep()
      familyOf(userId)
      return removeSession(userId, sessionId)
    },

    async revokeAllSessions(userId, exceptSessionId) {
      sweep()
      const ended = [...(familyOf(userId)?.keys() ?? [])].filter((id) => id !== exceptSessionId)
      for (const id of ended) removeSession(userId, id)
      return ended
    },

    async setPasswordHash(userId, passwordHash, options) {
      sweep()
      const user = alive(users, userId)
      if (user === undefined) return false
      const rehashOf = options?.rehashOf
      if (rehashOf !== undefined) {
        if (user.passwordHash !== rehashOf) return false
      } else {
        user.passwordVersion = (user.passwordVersion ?? 0) + 1
      }
      user.passwordHash = passwordHash
      return true
    },

    async ping() {},

    async close() {},
  }
}
