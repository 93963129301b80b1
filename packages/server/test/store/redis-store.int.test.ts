import { randomBytes } from 'node:crypto'
import { type RedisServerProcess, startRedisServer, useTestRedis } from '@refresh-kit/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StoreUnavailableError } from '../../src/errors.js'
import { failFastRedisOptions } from '../../src/store/redis-options.js'
import { createRedisStore } from '../../src/store/redis-store.js'
import type { TokenStore } from '../../src/store/types.js'
import { recordCommands } from '../support/record-commands.js'
import { describeTokenStoreContract } from './contract.js'

const redis = useTestRedis('store')
let shared: Redis | undefined
const sharedClient = () => {
  shared ??= redis.client()
  return shared
}

describeTokenStoreContract('Redis store', () => ({
  // The contract moves time through each call's `now`: the store decides with it.
  store: createRedisStore({ redis: sharedClient(), keyPrefix: redis.keyPrefix, clock: 'caller' }),
  // Rate-limit windows are real key TTLs on Redis: let them run out.
  passTime: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
}))

const T0 = Date.UTC(2026, 0, 1)
const id = () => randomBytes(16).toString('base64url')

function session(userId: string, now = T0) {
  return {
    userId,
    sessionId: id(),
    userAgent: 'Mozilla/5.0 (X11)',
    now,
    idleTtlSeconds: 7 * 24 * 3600,
    maxAgeSeconds: 30 * 24 * 3600,
  }
}

/** Registers a user, whose record rotation reads the username from; returns its id. */
async function register(store: TokenStore): Promise<string> {
  const userId = id()
  const user = {
    id: userId,
    username: `rt.${userId.slice(0, 8)}`,
    passwordHash: 'h',
    createdAt: T0,
  }
  if (!(await store.createUser(user))) throw new Error(`username ${user.username} is taken`)
  return userId
}

function rotation(userId: string, sessionId: string, generation: number, now: number) {
  return { userId, sessionId, generation, now, idleTtlSeconds: 7 * 24 * 3600, graceSeconds: 10 }
}

describe('Redis store', () => {
  it('gives every key a TTL and stores nothing but ids, times, counters and user data', async () => {
    const keyPrefix = `${redis.keyPrefix}mix:`
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix })
    const written = new Set<string>()
    const users = Array.from({ length: 3 }, () => {
      const userId = id()
      return {
        id: userId,
        username: `mix.${userId.slice(0, 6)}`,
        passwordHash: `$scrypt$${id()}`,
        createdAt: T0,
      }
    })
    for (const user of users) {
      await store.createUser(user)
      written.add(user.id).add(user.username).add(user.passwordHash)
      const sessions = [session(user.id), session(user.id, T0 + 1000), session(user.id, T0 + 2000)]
      for (const input of sessions) {
        await store.createSession(input)
        written.add(input.sessionId).add('Mozilla/5.0 (X11)')
      }
      const [first, second, third] = sessions
      if (first === undefined || second === undefined || third === undefined) throw new Error()
      await store.rotate(rotation(user.id, first.sessionId, 0, T0 + 5000))
      await store.rotate(rotation(user.id, first.sessionId, 1, T0 + 6000))
      await store.rotate(rotation(user.id, second.sessionId, 0, T0 + 5000))
      await store.rotate(rotation(user.id, second.sessionId, 0, T0 + 60_000)) // reuse
      await store.listSessions(user.id, T0 + 7000)
      await store.revokeSession(user.id, third.sessionId)
    }

    const keys = (await redis.keys()).filter((key) => key.startsWith(keyPrefix))
    expect(keys.length).toBeGreaterThan(users.length * 3)
    const values: string[] = []
    for (const key of keys) {
      const ttl = await client.pttl(key)
      expect({ key, hasTtl: ttl > 0 }).toEqual({ key, hasTtl: true })
      const type = await client.type(key)
      if (type === 'string') values.push((await client.get(key)) ?? '')
      else if (type === 'hash') values.push(...Object.values(await client.hgetall(key)))
      else if (type === 'zset') {
        for (const member of await client.zrange(key, 0, '-1')) {
          values.push(member, String(await client.zscore(key, member)))
        }
      } else throw new Error(`unexpected ${type} at ${key}`)
    }
    // Integers (counters, times), packed session records (generation and times in hex, then
    // a user agent's digest), and what the workload wrote: nothing else, so nothing a refresh
    // token could be rebuilt from.
    const packedSession = /^[0-9a-f]{1,11}(:-?[0-9a-f]{1,11}){4}(\/[A-Za-z0-9_-]{12})?$/
    const unexpected = values.filter(
      (value) => !/^\d+$/.test(value) && !packedSession.test(value) && !written.has(value),
    )
    expect(unexpected).toEqual([])
  })

  it("keeps a user's sessions in one compact hash, whatever the user agent", async () => {
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix: redis.keyPrefix })
    const userId = await register(store)
    const browser =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
    const created = await store.createSession({ ...session(userId), userAgent: browser })
    for (let generation = 0; generation < 40; generation++) {
      const result = await store.rotate(rotation(userId, created.id, generation, T0 + generation))
      expect(result.status).toBe('rotated')
    }
    await store.createSession(session(userId))
    const key = `${redis.keyPrefix}{u:${userId}}:s`
    // A value over 64 bytes would turn the hash into a full hash table, several times larger.
    expect(await client.object('ENCODING', key)).toBe('listpack')
    expect((await store.listSessions(userId, T0 + 100)).map((s) => s.userAgent)).toContain(browser)
  })

  it('rotates in one round trip, by SHA once the script is loaded, username included', async () => {
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix: redis.keyPrefix })
    const userId = await register(store)
    const created = await store.createSession(session(userId))
    await store.rotate(rotation(userId, created.id, 0, T0))
    const sent = recordCommands(client)
    const result = await store.rotate(rotation(userId, created.id, 1, T0 + 1000))
    expect(result.status === 'rotated' && result.username).toBe(`rt.${userId.slice(0, 8)}`)
    expect(sent.names()).toEqual(['evalsha'])
    sent.clear()
    const graced = await store.rotate(rotation(userId, created.id, 1, T0 + 2000))
    expect(graced.status === 'grace' && graced.username).toBe(`rt.${userId.slice(0, 8)}`)
    expect(sent.names()).toEqual(['evalsha'])
  })

  it('ends a session whose user record expired, leaving no record of it', async () => {
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix: redis.keyPrefix })
    const userId = await register(store)
    const ended = await store.createSession(session(userId))
    const other = await store.createSession(session(userId))
    expect((await store.rotate(rotation(userId, ended.id, 0, T0))).status).toBe('rotated')
    const sessionsKey = `${redis.keyPrefix}{u:${userId}}:s`
    const before = await client.hget(sessionsKey, ended.id)
    expect(before).not.toBeNull()
    // What the key's TTL does to a user who stayed away too long.
    await client.del(`${redis.keyPrefix}{u:${userId}}:u`)
    const sent = recordCommands(client)
    expect(await store.rotate(rotation(userId, ended.id, 1, T0 + 1000))).toEqual({
      status: 'invalid',
    })
    // The rotation, then the release of the ended session's user-agent record (its own slot).
    expect(sent.names()).toEqual(['evalsha', expect.stringMatching(/^eval(sha)?$/)])
    expect(await client.hget(sessionsKey, ended.id)).toBeNull()
    // The presented generation was current: only a rotation would have changed the record,
    // and a retry of the same token finds nothing to rotate either.
    expect(await store.rotate(rotation(userId, ended.id, 1, T0 + 1000))).toEqual({
      status: 'invalid',
    })
    // Sessions of that user not presented yet are left to their own rotation or TTL.
    expect(await client.hget(sessionsKey, other.id)).not.toBeNull()
  })

  it('recovers from NOSCRIPT after SCRIPT FLUSH', async () => {
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix: redis.keyPrefix })
    const userId = await register(store)
    const created = await store.createSession(session(userId))
    await store.rotate(rotation(userId, created.id, 0, T0))
    await redis.client().script('FLUSH')
    const sent = recordCommands(client)
    const result = await store.rotate(rotation(userId, created.id, 1, T0 + 1000))
    expect(result.status === 'rotated' && result.session.generation).toBe(2)
    expect(sent.names()).toEqual(['evalsha', 'eval'])
    sent.clear()
    await store.rotate(rotation(userId, created.id, 2, T0 + 2000))
    expect(sent.names()).toEqual(['evalsha'])
  })

  it('sends no KEYS or SCAN, from the client or inside its scripts', async () => {
    const client = redis.client()
    const monitor = await redis.client().monitor()
    const seen: string[][] = []
    monitor.on('monitor', (_time: string, args: string[]) => seen.push(args))
    const sent = recordCommands(client)
    const store = createRedisStore({ redis: client, keyPrefix: redis.keyPrefix })
    const userId = id()
    const user = {
      id: userId,
      username: `scan.${userId.slice(0, 6)}`,
      passwordHash: 'h',
      createdAt: T0,
    }
    await store.createUser(user)
    await store.findUserByUsername(user.username)
    const created = await store.createSession(session(userId))
    await store.createSession(session(userId))
    await store.rotate(rotation(userId, created.id, 0, T0))
    await store.getSession(userId, created.id, T0)
    await store.listSessions(userId, T0)
    await store.revokeSession(userId, created.id)
    await store.revokeAllSessions(userId)
    // MONITOR lags behind: wait for a marker sent after the workload.
    const marker = `end-of-workload-${id()}`
    await client.echo(marker)
    await expect
      .poll(() => seen.some((args) => args.includes(marker)), { timeout: 10_000 })
      .toBe(true)
    monitor.disconnect()
    const ours = seen.filter((args) => args.some((arg) => arg.includes(userId)))
    expect(ours.length).toBeGreaterThan(10)
    const scanning = (name: string) => /^(keys|scan)$/i.test(name)
    expect(sent.names().filter(scanning)).toEqual([])
    expect(ours.filter((args) => scanning(args[0] ?? ''))).toEqual([])
    expect(seen.filter((args) => /^keys$/i.test(args[0] ?? ''))).toEqual([])
  })

  it('keeps a Redis error that is not an outage as it is, not as StoreUnavailableError', async () => {
    const client = redis.client()
    const keyPrefix = `${redis.keyPrefix}wrongtype:`
    const store = createRedisStore({ redis: client, keyPrefix })
    const userId = id()
    await client.set(`${keyPrefix}{u:${userId}}:s`, 'not a hash', 'EX', 60)
    const failure = await store.createSession(session(userId)).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(Error)
    expect(failure).not.toBeInstanceOf(StoreUnavailableError)
    expect((failure as Error).message).toMatch(/WRONGTYPE/)
  })

  it('gives the username back when writing the user fails', async () => {
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix: redis.keyPrefix })
    const taken = id()
    const username = `undo.${taken.slice(0, 6)}`
    // A user hash already under that id makes the second step fail.
    await client.hset(`${redis.keyPrefix}{u:${taken}}:u`, { n: 'someone', h: 'h', c: '0' })
    await client.expire(`${redis.keyPrefix}{u:${taken}}:u`, 60)
    await expect(
      store.createUser({ id: taken, username, passwordHash: 'h', createdAt: T0 }),
    ).rejects.toThrow(/already exists/)
    expect(await store.findUserByUsername(username)).toBeNull()
    const retry = { id: id(), username, passwordHash: 'h2', createdAt: T0 }
    expect(await store.createUser(retry)).toBe(true)
    expect(await store.findUserByUsername(username)).toEqual(retry)
  })

  it('finds a mixed-case name indexed before 1.1 for its exact spelling, and moves it to the lower-case index', async () => {
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix: redis.keyPrefix })
    const userId = id()
    const username = `Legacy.${id()
      .slice(0, 6)
      .replace(/[^a-z0-9]/gi, 'q')}X`
    // What a 1.0 server wrote: the index under the name's exact case.
    await client.set(`${redis.keyPrefix}un:${username}`, userId, 'PX', 60_000)
    await client.hset(`${redis.keyPrefix}{u:${userId}}:u`, 'n', username, 'h', 'h', 'c', T0)
    await client.pexpire(`${redis.keyPrefix}{u:${userId}}:u`, 60_000)
    expect((await store.findUserByUsername(username))?.id).toBe(userId)
    expect(await client.get(`${redis.keyPrefix}un:${username.toLowerCase()}`)).toBe(userId)
    expect(await client.exists(`${redis.keyPrefix}un:${username}`)).toBe(0)
    // From now on any case finds it, and the name cannot be taken again in another case.
    expect((await store.findUserByUsername(username.toUpperCase()))?.username).toBe(username)
    const again = { id: id(), username: username.toLowerCase(), passwordHash: 'h', createdAt: T0 }
    expect(await store.createUser(again)).toBe(false)
  })

  it('keeps two 1.0 names that differ only in case apart: each by its exact spelling', async () => {
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix: redis.keyPrefix })
    const lower = `twin.${id()
      .slice(0, 6)
      .replace(/[^a-z0-9]/gi, 'q')}`.toLowerCase()
    const upper = lower.toUpperCase()
    const ids = { [lower]: id(), [upper]: id() }
    for (const name of [lower, upper]) {
      const userId = ids[name] ?? ''
      await client.set(`${redis.keyPrefix}un:${name}`, userId, 'PX', 60_000)
      await client.hset(`${redis.keyPrefix}{u:${userId}}:u`, 'n', name, 'h', 'h', 'c', T0)
      await client.pexpire(`${redis.keyPrefix}{u:${userId}}:u`, 60_000)
    }
    for (let round = 0; round < 2; round++) {
      expect((await store.findUserByUsername(upper))?.id).toBe(ids[upper])
      expect((await store.findUserByUsername(lower))?.id).toBe(ids[lower])
    }
    // The lower-case index stays with the name registered in lower case.
    expect(await client.get(`${redis.keyPrefix}un:${lower}`)).toBe(ids[lower])
  })

  it('hands over a username whose claim was abandoned, but not one still being registered', async () => {
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix: redis.keyPrefix })
    // The index is kept in lower case.
    const fresh = `fresh.${id().slice(0, 6)}`.toLowerCase()
    const abandoned = `abandoned.${id().slice(0, 6)}`.toLowerCase()
    const yearMs = 365 * 24 * 3600 * 1000
    // A claim just made, its user hash not written yet: a registration under way.
    await client.set(`${redis.keyPrefix}un:${fresh}`, id(), 'PX', yearMs)
    // A claim two minutes old with no user behind it: its registration failed for good.
    await client.set(`${redis.keyPrefix}un:${abandoned}`, id(), 'PX', yearMs - 120_000)
    const contender = () => ({ id: id(), username: '', passwordHash: 'h', createdAt: T0 })
    expect(await store.createUser({ ...contender(), username: fresh })).toBe(false)
    const racers = Array.from({ length: 5 }, () => ({ ...contender(), username: abandoned }))
    const results = await Promise.all(racers.map((racer) => store.createUser(racer)))
    expect(results.filter((won) => won)).toHaveLength(1)
    expect(await store.findUserByUsername(abandoned)).toEqual(racers[results.indexOf(true)])
  })

  it('renews the user record at every login and its username at most once a tenth of its TTL', async () => {
    const client = redis.client()
    const store = createRedisStore({
      redis: client,
      keyPrefix: redis.keyPrefix,
      userTtlSeconds: 600,
    })
    const userId = id()
    const username = `renew.${userId.slice(0, 6)}`
    const userKey = `${redis.keyPrefix}{u:${userId}}:u`
    const indexKey = `${redis.keyPrefix}un:${username.toLowerCase()}`
    await store.createUser({ id: userId, username, passwordHash: 'h', createdAt: T0 })
    await client.pexpire(userKey, 5000)
    await client.pexpire(indexKey, 5000)
    const sent = recordCommands(client)
    await store.createSession(session(userId))
    // One round trip: the index was renewed just now, at registration. (The shared user-agent
    // record is written by a second script, sent beside the login's.)
    expect(sent.names()).toHaveLength(2)
    expect(sent.names()).not.toContain('pexpire')
    expect(await client.pttl(userKey)).toBeGreaterThan(500_000)
    expect(await client.pttl(indexKey)).toBeLessThanOrEqual(5000)
    // As if the index had last been renewed more than a tenth of the TTL (60 s) ago.
    await client.hset(userKey, 'x', '0')
    await store.createSession(session(userId))
    expect(await client.pttl(userKey)).toBeGreaterThan(500_000)
    expect(await client.pttl(indexKey)).toBeGreaterThan(500_000)
    expect((await store.findUserByUsername(username))?.id).toBe(userId)
  })

  it('stores a user agent once for all the sessions that send it, each keeping only its digest', async () => {
    const keyPrefix = `${redis.keyPrefix}shared:${id().slice(0, 6)}:`
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix, clock: 'caller' })
    const browser =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
    const owners = [await register(store), await register(store)]
    for (const userId of owners) {
      for (let n = 0; n < 3; n++)
        await store.createSession({ ...session(userId), userAgent: browser })
    }
    const keys = (await redis.keys()).filter((key) => key.startsWith(keyPrefix))
    const shared = keys.filter((key) => key.startsWith(`${keyPrefix}ua:`))
    expect(shared).toHaveLength(1)
    expect(keys.filter((key) => key.includes('}:a:'))).toEqual([])
    expect(await client.hget(shared[0] ?? '', 'v')).toBe(browser)
    // It outlives the longest session that names it: 30 days from the latest login.
    expect(await client.pttl(shared[0] ?? '')).toBeGreaterThanOrEqual(30 * 24 * 3600 * 1000)
    for (const userId of owners) {
      const records = Object.values(await client.hgetall(`${keyPrefix}{u:${userId}}:s`))
      expect(records).toHaveLength(3)
      for (const record of records) expect(record.length).toBeLessThanOrEqual(64)
      expect(await client.object('ENCODING', `${keyPrefix}{u:${userId}}:s`)).toBe('listpack')
      const listed = await store.listSessions(userId, T0)
      expect(listed.map((s) => s.userAgent)).toEqual([browser, browser, browser])
    }
  })

  it('never shortens a shared user agent record that a longer-lived session named', async () => {
    const keyPrefix = `${redis.keyPrefix}shared-ttl:${id().slice(0, 6)}:`
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix, clock: 'caller' })
    const userAgent = `probe/${id()}`
    const userId = await register(store)
    await store.createSession({ ...session(userId), userAgent, maxAgeSeconds: 30 * 24 * 3600 })
    await store.createSession({ ...session(userId), userAgent, maxAgeSeconds: 3600 })
    const [key] = (await redis.keys()).filter((k) => k.startsWith(`${keyPrefix}ua:`))
    expect(await client.pttl(key ?? '')).toBeGreaterThan(29 * 24 * 3600 * 1000)
  })

  // Regression: a login at the bound ended a session but not the shared record its user agent
  // named, so one account logging in again and again with a new user agent left a record
  // behind each time, for the whole absolute lifetime, however few sessions it could keep.
  it('keeps no more user-agent records for an account than the sessions it may hold', async () => {
    const keyPrefix = `${redis.keyPrefix}shared-bound:${id().slice(0, 6)}:`
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix, clock: 'caller' })
    const userId = await register(store)
    for (let n = 0; n < 20; n++) {
      await store.createSession({
        ...session(userId, T0 + n),
        userAgent: `agent/${n}/${id()}`,
        maxSessions: 2,
      })
    }
    expect(await store.listSessions(userId, T0 + 20)).toHaveLength(2)
    const records = (await redis.keys()).filter((key) => key.startsWith(`${keyPrefix}ua:`))
    expect(records.length).toBeLessThanOrEqual(2)
  })

  it('keeps an account within its bound of user-agent records under 50 parallel logins with new user agents', async () => {
    const keyPrefix = `${redis.keyPrefix}shared-burst:${id().slice(0, 6)}:`
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix, clock: 'caller' })
    const userId = await register(store)
    await Promise.all(
      Array.from({ length: 50 }, (_, n) =>
        store.createSession({
          ...session(userId, T0 + n),
          userAgent: `burst/${n}/${id()}`,
          maxSessions: 3,
        }),
      ),
    )
    const listed = await store.listSessions(userId, T0 + 50)
    expect(listed).toHaveLength(3)
    const records = (await redis.keys()).filter((key) => key.startsWith(`${keyPrefix}ua:`))
    expect(records).toHaveLength(3)
    // Each record left is the one a live session names.
    expect(listed.every((s) => s.userAgent?.startsWith('burst/'))).toBe(true)
  })

  it('deletes a shared user-agent record when the last session naming it ends by logout, revocation or reuse, and not before', async () => {
    const keyPrefix = `${redis.keyPrefix}shared-release:${id().slice(0, 6)}:`
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix, clock: 'caller' })
    const records = async () =>
      (await redis.keys()).filter((key) => key.startsWith(`${keyPrefix}ua:`)).length
    const [ada, bob] = [await register(store), await register(store)]
    const shared = `shared/${id()}`
    const adaSession = await store.createSession({ ...session(ada), userAgent: shared })
    const bobSession = await store.createSession({ ...session(bob), userAgent: shared })
    const own = await store.createSession({ ...session(ada), userAgent: `own/${id()}` })
    expect(await records()).toBe(2)
    // Ada's logout leaves the record Bob's session still names.
    expect(await store.revokeSession(ada, adaSession.id)).toBe(true)
    expect(await records()).toBe(2)
    expect((await store.listSessions(bob, T0))[0]?.userAgent).toBe(shared)
    // A replayed token ends the session: its record goes with it.
    expect((await store.rotate(rotation(ada, own.id, 0, T0 + 1000))).status).toBe('rotated')
    expect((await store.rotate(rotation(ada, own.id, 0, T0 + 120_000))).status).toBe('reused')
    expect(await records()).toBe(1)
    // Bob's logout from everywhere ends the last session naming the shared one.
    expect(await store.revokeAllSessions(bob)).toEqual([bobSession.id])
    expect(await records()).toBe(0)
  })

  it('reads a shared user agent it has not seen from Redis, and lists a session whose record is gone without one', async () => {
    const keyPrefix = `${redis.keyPrefix}shared-read:${id().slice(0, 6)}:`
    const client = redis.client()
    const writer = createRedisStore({ redis: client, keyPrefix, clock: 'caller' })
    const userId = await register(writer)
    const userAgent = `reader/${id()}`
    const created = await writer.createSession({ ...session(userId), userAgent })
    // Another instance: nothing cached.
    const reader = createRedisStore({ redis: client, keyPrefix, clock: 'caller' })
    expect((await reader.listSessions(userId, T0))[0]?.userAgent).toBe(userAgent)
    const [key] = (await redis.keys()).filter((k) => k.startsWith(`${keyPrefix}ua:`))
    await client.del(key ?? '')
    const late = createRedisStore({ redis: client, keyPrefix, clock: 'caller' })
    expect((await late.listSessions(userId, T0))[0]?.userAgent).toBeNull()
    expect((await late.getSession(userId, created.id, T0))?.userAgent).toBeNull()
    expect((await late.rotate(rotation(userId, created.id, 0, T0 + 1000))).status).toBe('rotated')
    // The instance that has it cached still shows it: a content-named record never changes.
    expect((await reader.getSession(userId, created.id, T0 + 1000))?.userAgent).toBe(userAgent)
  })

  it("reads none of a user's sessions at a login below the bound, and all of them at the bound", async () => {
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix: redis.keyPrefix, clock: 'caller' })
    const userId = await register(store)
    const monitor = await redis.client().monitor()
    const seen: string[][] = []
    monitor.on('monitor', (_time: string, args: string[]) => seen.push(args))
    const login = (n: number) =>
      store.createSession({ ...session(userId, T0 + n), userAgent: null, maxSessions: 8 })
    for (let n = 0; n < 8; n++) await login(n)
    const sessionsKey = `${redis.keyPrefix}{u:${userId}}:s`
    const reads = () =>
      seen.filter(
        ([name, key]) => /^(hgetall|hkeys|hvals|hscan)$/i.test(name ?? '') && key === sessionsKey,
      )
    const settle = async () => {
      // MONITOR lags behind: wait for a marker sent after the logins.
      const marker = `end-of-logins-${id()}`
      await client.echo(marker)
      await expect
        .poll(() => seen.some((args) => args.includes(marker)), { timeout: 10_000 })
        .toBe(true)
    }
    await settle()
    expect(reads()).toEqual([])
    const ninth = await login(8)
    await settle()
    monitor.disconnect()
    expect(reads()).toHaveLength(1)
    expect(ninth.evictedSessionIds).toHaveLength(1)
  })

  it('without a bound, drops dead sessions at logins where the count reaches a power of two', async () => {
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix: redis.keyPrefix, clock: 'caller' })
    const userId = await register(store)
    const sessionsKey = `${redis.keyPrefix}{u:${userId}}:s`
    for (let n = 0; n < 15; n++) {
      await store.createSession({ ...session(userId, T0 + n), idleTtlSeconds: 60 })
    }
    const later = T0 + 3600 * 1000
    // 15 dead sessions: this login sees 15 and reads none of them.
    await store.createSession({ ...session(userId, later), userAgent: null })
    expect(await client.hlen(sessionsKey)).toBe(16)
    // This one sees 16, drops the 15 dead ones and adds itself beside the live one.
    await store.createSession({ ...session(userId, later), userAgent: null })
    expect(await client.hlen(sessionsKey)).toBe(2)
    expect(await store.listSessions(userId, later)).toHaveLength(2)
  })

  it('names the bad option', () => {
    const client = sharedClient()
    expect(() => createRedisStore({ redis: client, userTtlSeconds: 0 })).toThrow(/userTtlSeconds/)
    expect(() => createRedisStore({ redis: undefined as unknown as Redis })).toThrow(/redis/)
    const prefixed = new Redis(redis.url, { keyPrefix: 'app:', lazyConnect: true })
    expect(() => createRedisStore({ redis: prefixed })).toThrow(/keyPrefix/)
    prefixed.disconnect()
  })
})

describe('Redis store when Redis goes away', () => {
  let server: RedisServerProcess
  let client: Redis
  let store: TokenStore

  beforeAll(async () => {
    server = await startRedisServer({ persistent: true })
    client = new Redis(server.url, { ...failFastRedisOptions })
    // Reconnection attempts report errors; the assertions below are about what callers see.
    client.on('error', () => {})
    await new Promise<void>((resolve) => client.once('ready', () => resolve()))
    store = createRedisStore({ redis: client, keyPrefix: 'outage:' })
  })
  afterAll(async () => {
    client.disconnect()
    await server.dispose()
  })

  /** `promise`, or a rejection that is not StoreUnavailableError if it takes over 5 s. */
  function within5s<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000)
    })
    return Promise.race([promise, hang]).finally(() => clearTimeout(timer))
  }

  it('rejects every method with StoreUnavailableError, then serves again once Redis is back', async () => {
    const userId = id()
    const user = {
      id: userId,
      username: `outage.${userId.slice(0, 6)}`,
      passwordHash: 'h',
      createdAt: T0,
    }
    expect(await store.createUser(user)).toBe(true)
    const created = await store.createSession(session(userId))
    expect((await store.rotate(rotation(userId, created.id, 0, T0))).status).toBe('rotated')

    await server.stop()
    const calls: Record<string, () => Promise<unknown>> = {
      createUser: () => store.createUser({ ...user, id: id(), username: `x.${id()}` }),
      findUserByUsername: () => store.findUserByUsername(user.username),
      findUserById: () => store.findUserById(userId),
      createSession: () => store.createSession(session(userId)),
      rotate: () => store.rotate(rotation(userId, created.id, 1, T0 + 1000)),
      getSession: () => store.getSession(userId, created.id, T0),
      listSessions: () => store.listSessions(userId, T0),
      revokeSession: () => store.revokeSession(userId, created.id),
      revokeAllSessions: () => store.revokeAllSessions(userId),
      setPasswordHash: () => store.setPasswordHash(userId, 'scrypt$x'),
      ping: () => store.ping(),
    }
    for (const [name, call] of Object.entries(calls)) {
      const failure = await within5s(call()).catch((error: unknown) => error)
      expect({ name, unavailable: failure instanceof StoreUnavailableError }).toEqual({
        name,
        unavailable: true,
      })
    }

    await server.start()
    // The same store and client, not rebuilt: the client reconnects in the background.
    await expect
      .poll(
        () =>
          store.ping().then(
            () => true,
            () => false,
          ),
        { timeout: 30_000, interval: 200 },
      )
      .toBe(true)
    const resumed = await store.rotate(rotation(userId, created.id, 1, T0 + 2000))
    expect(resumed.status === 'rotated' && resumed.session.generation).toBe(2)
    expect((await store.findUserByUsername(user.username))?.id).toBe(userId)
    expect(await store.createUser({ ...user, id: id(), username: `after.${id()}` })).toBe(true)
  })
})

describe("Redis store on the Redis server's clock (the default)", () => {
  const MINUTE = 60_000
  async function redisNow(client: Redis): Promise<number> {
    const [seconds, micros] = await client.time()
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
  }

  it('dates logins and rotations with Redis TIME, whatever the calling instance believes', async () => {
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix: redis.keyPrefix })
    const userId = await register(store)
    const before = await redisNow(client)
    // An instance whose clock is a year behind.
    const created = await store.createSession(session(userId, before - 365 * 24 * 60 * MINUTE))
    const rotated = await store.rotate(rotation(userId, created.id, 0, 0))
    const after = await redisNow(client)
    expect(created.createdAt).toBeGreaterThanOrEqual(before)
    expect(created.createdAt).toBeLessThanOrEqual(after)
    expect(rotated.status).toBe('rotated')
    if (rotated.status !== 'rotated') return
    expect(rotated.session.rotatedAt).toBeGreaterThanOrEqual(created.createdAt)
    expect(rotated.session.rotatedAt).toBeLessThanOrEqual(after)
    // Judged live on the Redis clock, though the caller's clock is a year ahead.
    const aYearOn = after + 365 * 24 * 60 * MINUTE
    expect(await store.getSession(userId, created.id, aYearOn)).toEqual({
      ...rotated.session,
      userAgent: created.userAgent,
    })
    expect((await store.listSessions(userId, aYearOn)).map((s) => s.id)).toEqual([created.id])
  })

  it('keeps one grace window for two instances whose clocks are minutes apart', async () => {
    const client = redis.client()
    const userId = id()
    const redisClock = createRedisStore({ redis: client, keyPrefix: redis.keyPrefix })
    await redisClock.createUser({
      id: userId,
      username: `skew.${userId.slice(0, 8)}`,
      passwordHash: 'h',
      createdAt: T0,
    })
    const real = await redisNow(client)
    const behind = real - 5 * MINUTE
    const ahead = real + 5 * MINUTE
    const login = await redisClock.createSession(session(userId, behind))
    // The instance behind rotates; the client's retry reaches the instance ahead.
    expect((await redisClock.rotate(rotation(userId, login.id, 0, behind))).status).toBe('rotated')
    const retried = await redisClock.rotate(rotation(userId, login.id, 0, ahead))
    expect(retried.status).toBe('grace')

    // On the callers' clocks the same two calls are ten minutes apart: reuse, session revoked.
    const callerClock = createRedisStore({
      redis: client,
      keyPrefix: redis.keyPrefix,
      clock: 'caller',
    })
    const other = await callerClock.createSession(session(userId, behind))
    expect((await callerClock.rotate(rotation(userId, other.id, 0, behind))).status).toBe('rotated')
    expect((await callerClock.rotate(rotation(userId, other.id, 0, ahead))).status).toBe('reused')
  })

  it('still detects reuse once the grace window has passed on the Redis clock', async () => {
    const client = redis.client()
    const store = createRedisStore({ redis: client, keyPrefix: redis.keyPrefix })
    const userId = await register(store)
    const login = await store.createSession(session(userId))
    const oneSecondGrace = (generation: number) => ({
      ...rotation(userId, login.id, generation, T0),
      graceSeconds: 1,
    })
    expect((await store.rotate(oneSecondGrace(0))).status).toBe('rotated')
    expect((await store.rotate(oneSecondGrace(0))).status).toBe('grace')
    await new Promise((resolve) => setTimeout(resolve, 1_200))
    expect(await store.rotate(oneSecondGrace(0))).toEqual({ status: 'reused' })
    expect(await store.rotate(oneSecondGrace(1))).toEqual({ status: 'invalid' })
  })

  it("refuses a clock that is neither 'redis' nor 'caller'", () => {
    expect(() =>
      createRedisStore({ redis: redis.client(), clock: 'local' as unknown as 'redis' }),
    ).toThrow(/clock/)
  })
})
