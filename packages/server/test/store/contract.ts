import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type {
  RotatedSession,
  SessionRecord,
  TokenStore,
  UserRecord,
} from '../../src/store/types.js'

/** What a store implementation hands to {@link describeTokenStoreContract}. */
export interface StoreUnderTest {
  store: TokenStore
  /**
   * Lets `seconds` pass on the store's own clock. Only rate-limit windows need it (every
   * session call takes its `now`): the memory store moves its injected clock, the Redis
   * store waits for its keys to expire.
   */
  passTime(seconds: number): Promise<void>
  /** Releases what the test built. */
  dispose?(): Promise<void>
}

const T0 = Date.UTC(2026, 0, 1)
const SECOND = 1000
const IDLE = 7 * 24 * 60 * 60
const MAX_AGE = 30 * 24 * 60 * 60
const GRACE = 10

/** A session as a rotation returns it: without its user agent. */
function rotatedView({ userAgent: _userAgent, ...session }: SessionRecord): RotatedSession {
  return session
}

function id(): string {
  return randomBytes(16).toString('base64url')
}

function user(overrides: Partial<UserRecord> = {}): UserRecord {
  const userId = id()
  return {
    id: userId,
    username: `user.${userId.slice(0, 8)}`,
    passwordHash: `$scrypt$n=16384,r=8,p=1$${id()}$${id()}`,
    createdAt: T0,
    ...overrides,
  }
}

/**
 * The behaviour every {@link TokenStore} must have, run against each implementation.
 *
 * @example
 * ```ts
 * describeTokenStoreContract('memory store', () => ({ store: createMemoryStore(), passTime }))
 * ```
 */
export function describeTokenStoreContract(
  name: string,
  makeStore: () => StoreUnderTest | Promise<StoreUnderTest>,
): void {
  describe(`${name}: TokenStore contract`, () => {
    let subject: StoreUnderTest
    let store: TokenStore

    beforeEach(async () => {
      subject = await makeStore()
      store = subject.store
    })
    afterEach(async () => {
      await store.close()
      await subject.dispose?.()
    })

    async function login(
      userId: string,
      now = T0,
      overrides: { idle?: number; maxAge?: number; userAgent?: string | null } = {},
    ): Promise<SessionRecord> {
      const { evictedSessionIds, ...session } = await store.createSession({
        userId,
        sessionId: id(),
        userAgent: overrides.userAgent === undefined ? 'Mozilla/5.0 (X11)' : overrides.userAgent,
        now,
        idleTtlSeconds: overrides.idle ?? IDLE,
        maxAgeSeconds: overrides.maxAge ?? MAX_AGE,
      })
      expect(evictedSessionIds).toEqual([])
      return session
    }

    /** A user the store holds a record of: rotation needs one, for the username. */
    async function registered(): Promise<UserRecord> {
      const member = user()
      expect(await store.createUser(member)).toBe(true)
      return member
    }

    function rotate(session: SessionRecord, generation: number, now: number, idle = IDLE) {
      return store.rotate({
        userId: session.userId,
        sessionId: session.id,
        generation,
        now,
        idleTtlSeconds: idle,
        graceSeconds: GRACE,
      })
    }

    describe('users', () => {
      it('finds a created user by username and by id', async () => {
        const ada = user()
        expect(await store.createUser(ada)).toBe(true)
        expect(await store.findUserByUsername(ada.username)).toEqual(ada)
        expect(await store.findUserById(ada.id)).toEqual(ada)
      })

      it('refuses a taken username and keeps the first user', async () => {
        const first = user()
        const second = user({ username: first.username })
        expect(await store.createUser(first)).toBe(true)
        expect(await store.createUser(second)).toBe(false)
        expect(await store.findUserByUsername(first.username)).toEqual(first)
        expect(await store.findUserById(second.id)).toBeNull()
      })

      it('lets exactly one of concurrent registrations of one username win, leaving no half user', async () => {
        const username = `race.${id().slice(0, 8)}`
        const candidates = Array.from({ length: 20 }, () => user({ username }))
        const results = await Promise.all(candidates.map((c) => store.createUser(c)))
        expect(results.filter((won) => won)).toHaveLength(1)
        const winner = candidates[results.indexOf(true)]
        expect(await store.findUserByUsername(username)).toEqual(winner)
        const losers = candidates.filter((_, i) => !results[i])
        for (const loser of losers) expect(await store.findUserById(loser.id)).toBeNull()
      })

      it('refuses a second user under a taken id and leaves its username free', async () => {
        const first = user()
        const clash = user({ id: first.id })
        expect(await store.createUser(first)).toBe(true)
        await expect(store.createUser(clash)).rejects.toThrow(/already exists/)
        expect(await store.findUserByUsername(clash.username)).toBeNull()
        expect(await store.findUserById(first.id)).toEqual(first)
        expect(await store.createUser(user({ username: clash.username }))).toBe(true)
      })

      it('treats usernames without regard to case and unknown ones as absent', async () => {
        const lower = user({ username: `case.${id().slice(0, 6)}`.toLowerCase() })
        const upper = user({ username: lower.username.toUpperCase() })
        expect(await store.createUser(lower)).toBe(true)
        expect(await store.createUser(upper)).toBe(false)
        expect((await store.findUserByUsername(upper.username))?.id).toBe(lower.id)
        expect(await store.findUserByUsername(`nobody.${id()}`)).toBeNull()
        expect(await store.findUserById(id())).toBeNull()
      })
    })

    describe('sessions', () => {
      it('creates a session at generation 0 and reads it back', async () => {
        const userId = id()
        const session = await login(userId, T0, { idle: 60, maxAge: 3600 })
        expect(session).toEqual({
          id: session.id,
          userId,
          createdAt: T0,
          lastUsedAt: T0,
          absoluteExpiresAt: T0 + 3600 * SECOND,
          idleExpiresAt: T0 + 60 * SECOND,
          generation: 0,
          rotatedAt: T0,
          userAgent: 'Mozilla/5.0 (X11)',
        })
        expect(await store.getSession(userId, session.id, T0 + SECOND)).toEqual(session)
      })

      it('caps the idle expiry of a new session by its absolute expiry', async () => {
        const session = await login(id(), T0, { idle: 600, maxAge: 60 })
        expect(session.idleExpiresAt).toBe(T0 + 60 * SECOND)
      })

      it('keeps a missing user agent as null', async () => {
        const userId = id()
        const session = await login(userId, T0, { userAgent: null })
        expect(session.userAgent).toBeNull()
        expect((await store.getSession(userId, session.id, T0))?.userAgent).toBeNull()
        expect((await store.listSessions(userId, T0))[0]?.userAgent).toBeNull()
      })

      it('lists live sessions newest first', async () => {
        const userId = id()
        const first = await login(userId, T0)
        const second = await login(userId, T0 + SECOND, { userAgent: 'curl/8.5' })
        const third = await login(userId, T0 + 2 * SECOND)
        const listed = await store.listSessions(userId, T0 + 3 * SECOND)
        expect(listed.map((s) => s.id)).toEqual([third.id, second.id, first.id])
        expect(listed[1]).toEqual(second)
      })

      it('leaves expired sessions out of the list', async () => {
        const userId = id()
        const short = await login(userId, T0, { idle: 60 })
        const long = await login(userId, T0, { idle: 3600 })
        const later = T0 + 61 * SECOND
        expect((await store.listSessions(userId, later)).map((s) => s.id)).toEqual([long.id])
        expect(await store.getSession(userId, short.id, later)).toBeNull()
        expect(await store.listSessions(id(), later)).toEqual([])
      })

      it('revokes one session and reports whether it existed', async () => {
        const { id: userId } = await registered()
        const kept = await login(userId)
        const revoked = await login(userId)
        expect(await store.revokeSession(userId, revoked.id)).toBe(true)
        expect(await store.revokeSession(userId, revoked.id)).toBe(false)
        expect(await store.getSession(userId, revoked.id, T0)).toBeNull()
        expect((await store.listSessions(userId, T0)).map((s) => s.id)).toEqual([kept.id])
        expect(await rotate(revoked, 0, T0 + SECOND)).toEqual({ status: 'invalid' })
      })

      it("does not let a user read, revoke or rotate another user's session", async () => {
        const { id: owner } = await registered()
        const { id: intruder } = await registered()
        const session = await login(owner)
        expect(await store.getSession(intruder, session.id, T0)).toBeNull()
        expect(await store.revokeSession(intruder, session.id)).toBe(false)
        expect(await store.revokeAllSessions(intruder)).toEqual([])
        expect(await rotate({ ...session, userId: intruder }, 0, T0)).toEqual({ status: 'invalid' })
        expect(await store.getSession(owner, session.id, T0)).toEqual(session)
      })

      it("revokes all of a user's sessions and no one else's", async () => {
        const { id: userId } = await registered()
        const { id: other } = await registered()
        const sessions = [await login(userId), await login(userId), await login(userId)]
        const untouched = await login(other)
        expect((await store.revokeAllSessions(userId)).sort()).toEqual(
          sessions.map((s) => s.id).sort(),
        )
        expect(await store.listSessions(userId, T0)).toEqual([])
        for (const s of sessions) expect(await rotate(s, 0, T0)).toEqual({ status: 'invalid' })
        expect(await store.listSessions(other, T0)).toEqual([untouched])
        expect(await store.revokeAllSessions(userId)).toEqual([])
      })

      it("revokes all of a user's sessions but the one it is told to keep", async () => {
        const { id: userId } = await registered()
        const [kept, ...others] = [await login(userId), await login(userId), await login(userId)]
        if (kept === undefined) throw new Error('no session')
        expect((await store.revokeAllSessions(userId, kept.id)).sort()).toEqual(
          others.map((s) => s.id).sort(),
        )
        expect(await store.listSessions(userId, T0)).toEqual([kept])
        for (const s of others) expect(await rotate(s, 0, T0)).toEqual({ status: 'invalid' })
        expect((await rotate(kept, 0, T0)).status).toBe('rotated')
      })

      it("replaces a user's password hash, and only an existing user's", async () => {
        const user = await registered()
        expect(await store.setPasswordHash(user.id, 'scrypt$new')).toBe(true)
        expect((await store.findUserById(user.id))?.passwordHash).toBe('scrypt$new')
        expect((await store.findUserByUsername(user.username))?.passwordHash).toBe('scrypt$new')
        expect(await store.setPasswordHash(id(), 'scrypt$other')).toBe(false)
      })

      it('counts the password version up with each change, not with a re-hash of the same password', async () => {
        const user = await registered()
        expect((await store.findUserById(user.id))?.passwordVersion ?? 0).toBe(0)
        expect(await store.setPasswordHash(user.id, 'scrypt$changed')).toBe(true)
        expect((await store.findUserById(user.id))?.passwordVersion).toBe(1)
        // A re-hash happens only over the hash it re-hashes, and keeps the version.
        expect(await store.setPasswordHash(user.id, 'scrypt$x', { rehashOf: 'scrypt$old' })).toBe(
          false,
        )
        expect(
          await store.setPasswordHash(user.id, 'scrypt$stronger', { rehashOf: 'scrypt$changed' }),
        ).toBe(true)
        const after = await store.findUserByUsername(user.username)
        expect(after?.passwordHash).toBe('scrypt$stronger')
        expect(after?.passwordVersion).toBe(1)
      })

      it('creates a session only while the password version the login verified is current, evicting nothing otherwise', async () => {
        const member = await registered()
        const start = (passwordVersion: number, maxSessions = 0) =>
          store.createSession({
            userId: member.id,
            sessionId: id(),
            userAgent: 'Mozilla/5.0 (X11)',
            now: T0,
            idleTtlSeconds: IDLE,
            maxAgeSeconds: MAX_AGE,
            maxSessions,
            passwordVersion,
          })
        const first = await start(0, 1)
        await store.setPasswordHash(member.id, 'scrypt$changed')
        await expect(start(0, 1)).rejects.toMatchObject({ code: 'invalid_credentials' })
        // Nothing changed: the one session is still there, not evicted by the refused login.
        expect((await store.listSessions(member.id, T0)).map((s) => s.id)).toEqual([first.id])
        const second = await start(1, 1)
        expect(second.evictedSessionIds).toEqual([first.id])
        // A user the store holds no record of has no current version.
        await expect(
          store.createSession({
            userId: id(),
            sessionId: id(),
            userAgent: null,
            now: T0,
            idleTtlSeconds: IDLE,
            maxAgeSeconds: MAX_AGE,
            passwordVersion: 0,
          }),
        ).rejects.toMatchObject({ code: 'invalid_credentials' })
      })

      it('creates a session even for a user it holds no record of', async () => {
        const userId = id()
        const session = await login(userId)
        expect(await store.getSession(userId, session.id, T0)).toEqual(session)
        expect(await store.findUserById(userId)).toBeNull()
      })

      it('rejects a malformed session input as a caller bug', async () => {
        await expect(login(id(), T0, { idle: 0 })).rejects.toThrow(TypeError)
        await expect(login(id(), T0, { maxAge: -1 })).rejects.toThrow(/maxAgeSeconds/)
      })
    })

    describe('rotation', () => {
      it('rotates the current generation and slides the idle expiry', async () => {
        const ada = await registered()
        const session = await login(ada.id, T0, { idle: 60 })
        const at = T0 + 30 * SECOND
        const result = await rotate(session, 0, at, 60)
        expect(result).toEqual({
          status: 'rotated',
          session: {
            ...rotatedView(session),
            generation: 1,
            rotatedAt: at,
            lastUsedAt: at,
            idleExpiresAt: at + 60 * SECOND,
          },
          username: ada.username,
        })
        expect(await store.getSession(session.userId, session.id, at)).toEqual(
          result.status === 'rotated' ? { ...result.session, userAgent: session.userAgent } : null,
        )
      })

      it('keeps only the latest of three rotations in a row current', async () => {
        const ada = await registered()
        const session = await login(ada.id)
        for (let generation = 0; generation < 3; generation++) {
          const result = await rotate(session, generation, T0 + generation * SECOND)
          expect(result.status).toBe('rotated')
        }
        expect((await store.getSession(session.userId, session.id, T0))?.generation).toBe(3)
        expect(await rotate(session, 4, T0 + 3 * SECOND)).toEqual({ status: 'invalid' })
        const next = await rotate(session, 3, T0 + 3 * SECOND)
        expect(next.status === 'rotated' && next.session.generation).toBe(4)
      })

      it('answers the previous generation inside the grace window with the same successor', async () => {
        const ada = await registered()
        const session = await login(ada.id)
        const rotated = await rotate(session, 0, T0 + SECOND)
        expect(rotated.status).toBe('rotated')
        const retried = await rotate(session, 0, T0 + SECOND + GRACE * SECOND)
        expect(retried.status).toBe('grace')
        if (rotated.status !== 'rotated' || retried.status !== 'grace') return
        expect(retried.session).toEqual(rotated.session)
        expect(retried.username).toBe(ada.username)
        // The successor still rotates normally afterwards.
        const next = await rotate(session, 1, T0 + 2 * SECOND + GRACE * SECOND)
        expect(next.status === 'rotated' && next.session.generation).toBe(2)
      })

      it('treats the previous generation after the grace window as reuse and kills the session', async () => {
        const ada = await registered()
        const session = await login(ada.id)
        await rotate(session, 0, T0)
        const late = T0 + GRACE * SECOND + 1
        expect(await rotate(session, 0, late)).toEqual({ status: 'reused' })
        expect(await store.getSession(session.userId, session.id, late)).toBeNull()
        expect(await store.listSessions(session.userId, late)).toEqual([])
        // The successor stops working too.
        expect(await rotate(session, 1, late)).toEqual({ status: 'invalid' })
      })

      it('treats a token two generations old as reuse even inside the grace window', async () => {
        const ada = await registered()
        const session = await login(ada.id)
        await rotate(session, 0, T0)
        await rotate(session, 1, T0 + 1)
        expect(await rotate(session, 0, T0 + 2)).toEqual({ status: 'reused' })
        expect(await store.getSession(session.userId, session.id, T0 + 2)).toBeNull()
      })

      it('rejects a generation the session never issued, without harming it', async () => {
        const ada = await registered()
        const session = await login(ada.id)
        expect(await rotate(session, 1, T0)).toEqual({ status: 'invalid' })
        expect(await rotate(session, 99, T0)).toEqual({ status: 'invalid' })
        expect(await rotate(session, -1, T0)).toEqual({ status: 'invalid' })
        expect(await store.getSession(session.userId, session.id, T0)).toEqual(session)
        expect((await rotate(session, 0, T0)).status).toBe('rotated')
      })

      it('rejects an unknown session', async () => {
        const ada = await registered()
        const session = await login(ada.id)
        expect(await rotate({ ...session, id: id() }, 0, T0)).toEqual({ status: 'invalid' })
      })

      it('ends a session left idle past its sliding expiry', async () => {
        const ada = await registered()
        const session = await login(ada.id, T0, { idle: 60 })
        const first = await rotate(session, 0, T0 + 59 * SECOND, 60)
        expect(first.status).toBe('rotated')
        // The rotation slid the idle expiry to T0 + 119 s.
        expect(await store.getSession(session.userId, session.id, T0 + 118 * SECOND)).not.toBeNull()
        expect(await rotate(session, 1, T0 + 119 * SECOND, 60)).toEqual({ status: 'invalid' })
        expect(await store.getSession(session.userId, session.id, T0 + 119 * SECOND)).toBeNull()
        expect(await store.listSessions(session.userId, T0 + 119 * SECOND)).toEqual([])
      })

      it('ends a session at its absolute expiry however recently it was used', async () => {
        const ada = await registered()
        const session = await login(ada.id, T0, { idle: 60, maxAge: 100 })
        const first = await rotate(session, 0, T0 + 50 * SECOND, 60)
        expect(first.status === 'rotated' && first.session.idleExpiresAt).toBe(T0 + 100 * SECOND)
        expect((await rotate(session, 1, T0 + 99 * SECOND, 60)).status).toBe('rotated')
        expect(await rotate(session, 2, T0 + 100 * SECOND, 60)).toEqual({ status: 'invalid' })
        expect(await store.getSession(session.userId, session.id, T0 + 100 * SECOND)).toBeNull()
      })

      it('answers an expired session as invalid, not as reuse', async () => {
        const ada = await registered()
        const session = await login(ada.id, T0, { idle: 60 })
        await rotate(session, 0, T0, 60)
        expect(await rotate(session, 0, T0 + 61 * SECOND, 60)).toEqual({ status: 'invalid' })
      })

      it('rotates with a clock that stepped back behind the login', async () => {
        const ada = await registered()
        const session = await login(ada.id)
        const earlier = T0 - 5 * SECOND
        const result = await rotate(session, 0, earlier)
        expect(result.status === 'rotated' && result.session.rotatedAt).toBe(earlier)
        expect(await store.getSession(session.userId, session.id, earlier)).toEqual(
          result.status === 'rotated' ? { ...result.session, userAgent: session.userAgent } : null,
        )
      })

      it("returns the user's username with a rotation and with a grace answer, and not on failure", async () => {
        const ada = await registered()
        const bob = await registered()
        const session = await login(ada.id)
        const other = await login(bob.id)
        const rotated = await rotate(session, 0, T0 + SECOND)
        const graced = await rotate(session, 0, T0 + 2 * SECOND)
        const bobs = await rotate(other, 0, T0 + 2 * SECOND)
        expect(rotated.status === 'rotated' && rotated.username).toBe(ada.username)
        expect(graced.status === 'grace' && graced.username).toBe(ada.username)
        expect(bobs.status === 'rotated' && bobs.username).toBe(bob.username)
        expect(await rotate(session, 5, T0 + 3 * SECOND)).toEqual({ status: 'invalid' })
        expect(await rotate(session, 0, T0 + 60 * SECOND)).toEqual({ status: 'reused' })
      })

      it('ends a session whose user record is gone, as invalid, without rotating it', async () => {
        const ghostId = id()
        const session = await login(ghostId)
        expect(await store.findUserById(ghostId)).toBeNull()
        expect(await rotate(session, 0, T0 + SECOND)).toEqual({ status: 'invalid' })
        expect(await store.getSession(ghostId, session.id, T0 + SECOND)).toBeNull()
        expect(await store.listSessions(ghostId, T0 + SECOND)).toEqual([])
        // A record written later under that id does not bring the ended session back.
        expect(await store.createUser(user({ id: ghostId }))).toBe(true)
        expect(await rotate(session, 0, T0 + 2 * SECOND)).toEqual({ status: 'invalid' })
      })

      it('of 50 concurrent rotations of one generation, rotates once and graces 49', async () => {
        const ada = await registered()
        const session = await login(ada.id)
        const at = T0 + SECOND
        const results = await Promise.all(Array.from({ length: 50 }, () => rotate(session, 0, at)))
        const rotated = results.filter((r) => r.status === 'rotated')
        const graced = results.filter((r) => r.status === 'grace')
        expect(rotated).toHaveLength(1)
        expect(graced).toHaveLength(49)
        for (const r of [...rotated, ...graced]) {
          expect(r.session.generation).toBe(1)
          expect(r.username).toBe(ada.username)
        }
        const alive = await store.getSession(session.userId, session.id, at)
        expect(alive?.generation).toBe(1)
      })
    })

    describe('sessions per user', () => {
      it('ends the least recently used sessions beyond maxSessions, in the login step', async () => {
        const ada = await registered()
        const sessions: SessionRecord[] = []
        for (let n = 0; n < 5; n++) sessions.push(await login(ada.id, T0 + n * SECOND))
        const [first, second, third, fourth, fifth] = sessions
        if (!first || !second || !third || !fourth || !fifth) throw new Error('no sessions')
        // Using the oldest makes it the most recently used: the second is now the least.
        expect((await rotate(first, 0, T0 + 10 * SECOND)).status).toBe('rotated')
        const sixth = await store.createSession({
          userId: ada.id,
          sessionId: id(),
          userAgent: null,
          now: T0 + 11 * SECOND,
          idleTtlSeconds: IDLE,
          maxAgeSeconds: MAX_AGE,
          maxSessions: 4,
        })
        expect(sixth.evictedSessionIds).toEqual([second.id, third.id])
        const listed = await store.listSessions(ada.id, T0 + 12 * SECOND)
        expect(listed.map((s) => s.id)).toEqual([sixth.id, fifth.id, fourth.id, first.id])
        expect((await rotate(second, 0, T0 + 12 * SECOND)).status).toBe('invalid')
        expect(await store.getSession(ada.id, third.id, T0 + 12 * SECOND)).toBeNull()
      })

      it('drops dead sessions before it ends a live one at the bound', async () => {
        const ada = await registered()
        const short = [await login(ada.id, T0, { idle: 60 }), await login(ada.id, T0, { idle: 60 })]
        const kept = await login(ada.id, T0)
        const later = T0 + 61 * SECOND
        const created = await store.createSession({
          userId: ada.id,
          sessionId: id(),
          userAgent: null,
          now: later,
          idleTtlSeconds: IDLE,
          maxAgeSeconds: MAX_AGE,
          maxSessions: 3,
        })
        expect(created.evictedSessionIds).toEqual([])
        const listed = await store.listSessions(ada.id, later)
        expect(listed.map((s) => s.id)).toEqual([created.id, kept.id])
        for (const s of short) expect(await rotate(s, 0, later)).toEqual({ status: 'invalid' })
      })

      it('gives each session its own user agent, and keeps it for the others when one ends', async () => {
        const ada = await registered()
        const browser = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
        const [first, second] = [
          await login(ada.id, T0, { userAgent: browser }),
          await login(ada.id, T0 + SECOND, { userAgent: browser }),
        ]
        const other = await login(ada.id, T0 + 2 * SECOND, { userAgent: 'curl/8.5' })
        if (first === undefined || second === undefined) throw new Error('no session')
        expect(await store.revokeSession(ada.id, first.id)).toBe(true)
        const rotated = await rotate(second, 0, T0 + 3 * SECOND)
        expect(rotated.status).toBe('rotated')
        // A refresh needs no user agent: the rotation neither reads nor returns it.
        expect(rotated.status === 'rotated' && 'userAgent' in rotated.session).toBe(false)
        const graced = await rotate(second, 0, T0 + 4 * SECOND)
        expect(graced.status === 'grace' && 'userAgent' in graced.session).toBe(false)
        expect((await store.getSession(ada.id, second.id, T0 + 4 * SECOND))?.userAgent).toBe(
          browser,
        )
        const listed = await store.listSessions(ada.id, T0 + 4 * SECOND)
        expect(listed.map((s) => [s.id, s.userAgent])).toEqual([
          [other.id, 'curl/8.5'],
          [second.id, browser],
        ])
      })

      it('never holds more than maxSessions under parallel logins', async () => {
        const ada = await registered()
        const created = await Promise.all(
          Array.from({ length: 40 }, (_, n) =>
            store.createSession({
              userId: ada.id,
              sessionId: id(),
              userAgent: null,
              now: T0 + n,
              idleTtlSeconds: IDLE,
              maxAgeSeconds: MAX_AGE,
              maxSessions: 7,
            }),
          ),
        )
        const evicted = created.flatMap((s) => s.evictedSessionIds)
        expect(evicted).toHaveLength(33)
        expect(new Set(evicted).size).toBe(33)
        const listed = await store.listSessions(ada.id, T0 + SECOND)
        expect(listed).toHaveLength(7)
        for (const s of listed) expect(evicted).not.toContain(s.id)
      })

      it('sets no bound without maxSessions, and evicts nothing', async () => {
        const ada = await registered()
        // login() checks that nothing was evicted.
        for (let n = 0; n < 12; n++) await login(ada.id, T0 + n)
        expect(await store.listSessions(ada.id, T0 + SECOND)).toHaveLength(12)
      })

      it('rejects a maxSessions that is not a whole number >= 0', async () => {
        const ada = await registered()
        const input = {
          userId: ada.id,
          sessionId: id(),
          userAgent: null,
          now: T0,
          idleTtlSeconds: IDLE,
          maxAgeSeconds: MAX_AGE,
        }
        await expect(store.createSession({ ...input, maxSessions: -1 })).rejects.toThrow(
          /maxSessions/,
        )
        await expect(store.createSession({ ...input, maxSessions: 1.5 })).rejects.toThrow(
          /maxSessions/,
        )
      })
    })

    describe('usernames', () => {
      it('are unique in any case, found in any case, and kept as registered', async () => {
        const suffix = id()
          .slice(0, 8)
          .replace(/[^A-Za-z0-9]/g, 'x')
        const alice = user({ username: `Alice.${suffix}` })
        expect(await store.createUser(alice)).toBe(true)
        expect(await store.createUser(user({ username: `alice.${suffix.toLowerCase()}` }))).toBe(
          false,
        )
        expect(await store.createUser(user({ username: `ALICE.${suffix.toUpperCase()}` }))).toBe(
          false,
        )
        for (const spelling of [`alice.${suffix}`.toLowerCase(), `ALICE.${suffix}`.toUpperCase()]) {
          const found = await store.findUserByUsername(spelling)
          expect(found?.id).toBe(alice.id)
          expect(found?.username).toBe(`Alice.${suffix}`)
        }
      })
    })

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined()
    })
  })
}
