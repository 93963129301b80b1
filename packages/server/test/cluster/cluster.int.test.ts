import { randomBytes } from 'node:crypto'
import { type RedisClusterProcess, startRedisCluster } from '@refresh-kit/testing'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerProcess, startServerProcess } from './server-process.js'

// Two token servers share one Redis Cluster of three masters, as two instances behind a
// load balancer would: whatever one instance writes, the other must honour.

// Wide enough for 50 parallel refreshes on a loaded 2-core machine to land inside it, short
// enough to wait out once.
const GRACE_SECONDS = 5
const KEY_PREFIX = 'rk:'

interface TokenPair {
  accessToken: string
  refreshToken: string
}

interface Answer<T> {
  status: number
  body: T
}

let cluster: RedisClusterProcess | undefined
let admin: Cluster | undefined
const servers: ServerProcess[] = []

function instance(index: 0 | 1): ServerProcess {
  const server = servers[index]
  if (server === undefined) throw new Error('the servers did not start')
  return server
}

async function call<T>(
  server: ServerProcess,
  method: string,
  path: string,
  options: { body?: unknown; accessToken?: string } = {},
): Promise<Answer<T>> {
  // A user agent, so that sessions store one and its key is placed too.
  const headers: Record<string, string> = { 'user-agent': 'refresh-kit cluster test' }
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  if (options.accessToken !== undefined) headers.authorization = `Bearer ${options.accessToken}`
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    signal: AbortSignal.timeout(20_000),
  })
  const text = await response.text()
  return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T }
}

let userCount = 0

/** Registers a fresh user on `server` and returns its id and credentials. */
async function registerUser(server: ServerProcess) {
  userCount += 1
  const username = `cluster-${userCount}-${randomBytes(4).toString('hex')}`
  const password = 'correct horse battery'
  const answer = await call<{ user: { id: string } }>(server, 'POST', '/auth/register', {
    body: { username, password },
  })
  expect(answer.status).toBe(201)
  return { id: answer.body.user.id, username, password }
}

async function login(
  server: ServerProcess,
  user: { username: string; password: string },
): Promise<TokenPair> {
  const answer = await call<TokenPair>(server, 'POST', '/auth/login', {
    body: { username: user.username, password: user.password },
  })
  expect(answer.status).toBe(200)
  return answer.body
}

function refresh(server: ServerProcess, refreshToken: string) {
  return call<TokenPair & { error?: string }>(server, 'POST', '/auth/refresh', {
    body: { refreshToken },
  })
}

function redis(): Cluster {
  if (admin === undefined) throw new Error('the cluster did not start')
  return admin
}

/** Every key of a user and the master holding it, by SCAN on each master (never KEYS). */
async function keysOfUser(userId: string): Promise<{ key: string; master: string }[]> {
  const found: { key: string; master: string }[] = []
  for (const node of redis().nodes('master')) {
    const master = `${node.options.host}:${node.options.port}`
    let cursor = '0'
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${KEY_PREFIX}{u:${userId}}*`)
      cursor = next
      found.push(...batch.map((key) => ({ key, master })))
    } while (cursor !== '0')
  }
  return found
}

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 })
  admin = new Cluster([...cluster.nodes], { redisOptions: { password: cluster.password } })
  const env = {
    REDIS_CLUSTER_NODES: cluster.nodeList,
    REDIS_PASSWORD: cluster.password,
    JWT_SECRET: randomBytes(32).toString('hex'),
    REFRESH_REUSE_GRACE: String(GRACE_SECONDS),
    // Every user registers from this one address, up to 19 of them when user ids are slow to
    // spread over the masters: past the default hourly limit of 10. The limits have tests of
    // their own.
    REGISTER_RATE_LIMIT: '100',
    LOG_LEVEL: 'warn',
  }
  const started = await Promise.allSettled([
    startServerProcess({ name: 'A', env }),
    startServerProcess({ name: 'B', env }),
  ])
  for (const result of started) {
    if (result.status === 'fulfilled') servers.push(result.value)
  }
  const failed = started.find((result) => result.status === 'rejected')
  if (failed !== undefined) throw failed.reason
}, 120_000)

afterAll(async () => {
  await Promise.allSettled(servers.map((server) => server.stop()))
  await admin?.quit().catch(() => admin?.disconnect())
  await cluster?.stop()
}, 60_000)

describe('two server instances on one Redis Cluster', () => {
  it('refreshes on instance B a session created on instance A', async () => {
    const user = await registerUser(instance(0))
    const tokens = await login(instance(0), user)

    const refreshed = await refresh(instance(1), tokens.refreshToken)
    expect(refreshed.status).toBe(200)
    expect(refreshed.body.refreshToken).not.toBe(tokens.refreshToken)

    const me = await call<{ id: string }>(instance(0), 'GET', '/auth/me', {
      accessToken: refreshed.body.accessToken,
    })
    expect(me.status).toBe(200)
    expect(me.body.id).toBe(user.id)
  })

  it('detects reuse on B of a token rotated on A, and revokes the successor', async () => {
    const user = await registerUser(instance(0))
    const first = await login(instance(0), user)
    const second = await refresh(instance(0), first.refreshToken)
    expect(second.status).toBe(200)

    // The servers run in their own processes on real time, so the window is waited out: the
    // rotation happened before its answer arrived, so this is past the window on B's clock.
    await new Promise((resolve) => setTimeout(resolve, GRACE_SECONDS * 1000 + 100))

    const replay = await refresh(instance(1), first.refreshToken)
    expect(replay.status).toBe(401)
    expect(replay.body.error).toBe('refresh_token_reused')

    const successor = await refresh(instance(0), second.body.refreshToken)
    expect(successor.status).toBe(401)
    expect(successor.body.error).toBe('invalid_refresh_token')
  })

  it('honours on B a logout-all made on A', async () => {
    const user = await registerUser(instance(0))
    const one = await login(instance(0), user)
    const two = await login(instance(1), user)

    const logout = await call(instance(0), 'POST', '/auth/logout-all', {
      accessToken: one.accessToken,
    })
    expect(logout.status).toBe(204)

    for (const tokens of [one, two]) {
      const answer = await refresh(instance(1), tokens.refreshToken)
      expect(answer.status).toBe(401)
      expect(answer.body.error).toBe('invalid_refresh_token')
    }
  })

  it('answers 50 parallel refreshes of one token, split across A and B, with one successor', async () => {
    const user = await registerUser(instance(1))
    const tokens = await login(instance(1), user)

    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        refresh(instance(index % 2 === 0 ? 0 : 1), tokens.refreshToken),
      ),
    )
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200))
    const successors = new Set(answers.map((answer) => answer.body.refreshToken))
    expect(successors.size).toBe(1)
    const [successor] = successors
    expect(successor).not.toBe(tokens.refreshToken)

    // The one successor keeps the session going, and no second session was made.
    const next = await refresh(instance(0), successor ?? '')
    expect(next.status).toBe(200)
    const sessions = await call<{ sessions: unknown[] }>(instance(1), 'GET', '/auth/sessions', {
      accessToken: next.body.accessToken,
    })
    expect(sessions.status).toBe(200)
    expect(sessions.body.sessions).toHaveLength(1)
  })

  it('lists the same sessions from A and from B', async () => {
    const user = await registerUser(instance(0))
    await login(instance(0), user)
    const current = await login(instance(1), user)
    await refresh(instance(0), current.refreshToken)

    const fromA = await call<{ sessions: { id: string }[] }>(instance(0), 'GET', '/auth/sessions', {
      accessToken: current.accessToken,
    })
    const fromB = await call<{ sessions: { id: string }[] }>(instance(1), 'GET', '/auth/sessions', {
      accessToken: current.accessToken,
    })
    expect(fromA.status).toBe(200)
    expect(fromA.body.sessions).toHaveLength(2)
    expect(fromB).toEqual(fromA)
  })
})

describe('a failover that lost the last rotation', () => {
  it('answers invalid_refresh_token to the newest token when the store went back one generation', async () => {
    const user = await registerUser(instance(0))
    const first = await login(instance(0), user)

    // What a replica would hold if its master acknowledged the next rotation and failed
    // before replicating it: the user's keys as they are now, at generation 0.
    const snapshot = await Promise.all(
      (await keysOfUser(user.id)).map(async ({ key }) => ({
        key,
        dump: await redis().dumpBuffer(key),
        ttl: await redis().pttl(key),
      })),
    )
    expect(snapshot.length).toBeGreaterThan(0)
    const second = await refresh(instance(0), first.refreshToken)
    expect(second.status).toBe(200)
    for (const { key, dump, ttl } of snapshot) {
      if (dump !== null) await redis().restore(key, Math.max(ttl, 0), dump, 'REPLACE')
    }

    // The client holds generation 1, the store says 0: the token is unknown to it, and the
    // SDK signs the user out (sessionExpired) rather than looping.
    const lost = await refresh(instance(1), second.body.refreshToken)
    expect(lost.status).toBe(401)
    expect(lost.body.error).toBe('invalid_refresh_token')
  })
})

describe('key placement on the cluster', () => {
  it("keeps every key of a user's sessions in one hash slot", async () => {
    const user = await registerUser(instance(0))
    const one = await login(instance(0), user)
    await login(instance(1), user)
    await refresh(instance(1), one.refreshToken)

    const keys = await keysOfUser(user.id)
    // At least the user record and its sessions; the exact layout is the store's business.
    expect(keys.length).toBeGreaterThanOrEqual(2)
    const slots = await Promise.all(keys.map(({ key }) => redis().cluster('KEYSLOT', key)))
    expect(new Set(slots).size).toBe(1)
    expect(new Set(keys.map(({ master }) => master)).size).toBe(1)
    // And the sessions are really there: both are listed, from either instance.
    const listed = await call<{ sessions: unknown[] }>(instance(1), 'GET', '/auth/sessions', {
      accessToken: one.accessToken,
    })
    expect(listed.body.sessions).toHaveLength(2)
  })

  it('serves refreshes for users whose keys sit on different masters', async () => {
    // User ids are random: add users until two masters hold some (2.5 users on average).
    const users: { id: string; tokens: TokenPair }[] = []
    const masters = new Set<string>()
    while (masters.size < 2 && users.length < 12) {
      const side = (users.length % 2) as 0 | 1
      const user = await registerUser(instance(side))
      users.push({ id: user.id, tokens: await login(instance(side), user) })
      const held = new Set((await keysOfUser(user.id)).map(({ master }) => master))
      expect(held.size).toBe(1)
      for (const master of held) masters.add(master)
    }
    expect(masters.size).toBeGreaterThan(1)

    const answers = await Promise.all(
      users.map((user, index) =>
        refresh(instance(index % 2 === 0 ? 1 : 0), user.tokens.refreshToken),
      ),
    )
    expect(answers.map((answer) => answer.status)).toEqual(Array(users.length).fill(200))
  })
})
