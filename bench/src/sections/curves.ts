import { randomBytes } from 'node:crypto'
import { createRedisStore, type TokenStore } from '@refresh-kit/server'
import { startRedisCluster } from '@refresh-kit/testing/redis-cluster'
import { Cluster, type Redis } from 'ioredis'
import { type LoadFigures, percentile, runLoad } from '../lib/load.js'
import { benchRedisClient, startRedisServer } from '../lib/redis.js'
import { type ServerProcess, startServerProcess } from '../lib/server-process.js'
import { writeSessions } from '../lib/session-writer.js'
import { nowMs } from '../lib/stats.js'
import { type PoolEntry, tokenPool } from '../lib/token-pool.js'

/** How long each point of a curve is loaded. */
export interface CurveLoad {
  durationSeconds: number
  warmupSeconds: number
  connections: number
  log: (line: string) => void
}

/** One point of the live-sessions curve. */
export interface ScalePoint {
  sessions: number
  users: number
  writeSeconds: number
  writeMethod: 'direct' | 'store'
  /** `used_memory` over the empty Redis the server started on. */
  usedMemoryBytes: number
  /** `usedMemoryBytes` over the sessions (their users' records included: one user per 4 sessions). */
  bytesPerSession: number
  refresh: LoadSummary
}

/** What a load run at one point showed. */
export interface LoadSummary {
  reqPerSec: number
  p50Us: number
  p99Us: number
  requests: number
  non2xx: number
  serverCpuUs: number | null
}

/** The live-sessions curve: refresh latency and Redis memory at 10k, 100k and 1M sessions. */
export interface ScaleResult {
  sessionsPerUser: number
  poolSize: number
  points: ScalePoint[]
}

/** One point of the sessions-per-user curve. */
export interface PerUserPoint {
  sessionsPerUser: number
  /** `POST /auth/refresh` under load, on users who each hold this many sessions. */
  refresh: LoadSummary
  /** Sequential `POST /auth/login` (scrypt included) of a user holding this many sessions. */
  loginMs: { median: number; max: number; samples: number }
  /** The store's `createSession` (a login's store part) from the bench process, median µs. */
  storeCreateSessionUs: number
  /** The store's `rotate` (a refresh's store part) from the bench process, median µs. */
  storeRotateUs: number
  /** Sessions the login user held after the logins: capped at the limit when eviction works. */
  sessionsAfterLogins: number
}

/** The sessions-per-user curve, up to the per-user limit. */
export interface PerUserResult {
  maxSessionsPerUser: number
  points: PerUserPoint[]
}

/** One topology of the aggregate-throughput curve. */
export interface ProcessesPoint {
  topology: 'one Redis' | 'Redis Cluster, 3 masters'
  processes: number
  /** Sum over the processes of their req/s. */
  reqPerSec: number
  p50Us: number
  p99Us: number
  non2xx: number
  requests: number
}

/** Aggregate refresh throughput with 1 and 2 server processes, on one Redis and on a cluster. */
export interface ProcessesResult {
  poolSize: number
  connectionsPerProcess: number
  points: ProcessesPoint[]
}

const PASSWORD = 'bench-password-1'
const SCALE_POOL_CAP = 60_000
const SCALE_SESSIONS_PER_USER = 4

function summarize(figures: LoadFigures): LoadSummary {
  return {
    reqPerSec: figures.reqPerSec,
    p50Us: figures.latencyUs.p50,
    p99Us: figures.latencyUs.p99,
    requests: figures.requests,
    non2xx: figures.non2xx,
    serverCpuUs: figures.cpuPerRequestUs.server,
  }
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory')
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN)
}

/** The token server's environment for a run against `redis`. */
function serverEnv(
  redis: { url: string } | { clusterNodes: string; password: string },
  jwtSecret: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    ...('url' in redis
      ? { REDIS_URL: redis.url }
      : { REDIS_CLUSTER_NODES: redis.clusterNodes, REDIS_PASSWORD: redis.password }),
    REDIS_KEY_PREFIX: 'rk:',
    TOKEN_STORE: 'redis',
    JWT_SECRET: jwtSecret,
    LOG_LEVEL: 'error',
    NODE_ENV: 'production',
    // Every request comes from one address: the curves price logins and refreshes, not the
    // per-address limits in front of them (`0` turns a limit off).
    LOGIN_RATE_LIMIT: '0',
    REGISTER_RATE_LIMIT: '0',
    ...extra,
  }
}

async function loadRefresh(
  server: ServerProcess,
  nextBody: () => string,
  load: CurveLoad,
  connections = load.connections,
): Promise<LoadFigures> {
  const scenario = {
    url: server.url,
    method: 'POST' as const,
    path: '/auth/refresh',
    headers: { 'content-type': 'application/json' },
    nextBody,
    connections,
  }
  await runLoad({ ...scenario, durationSeconds: load.warmupSeconds })
  return runLoad(
    { ...scenario, durationSeconds: load.durationSeconds },
    { server: () => server.cpuSeconds(), redis: async () => null },
  )
}

/** Shuffles in place (Fisher-Yates). */
function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    const swap = items[i] as T
    items[i] = items[j] as T
    items[j] = swap
  }
  return items
}

/** Keeps each item with probability `keep`, so a sample stays uniform as the population grows. */
function thin<T>(items: T[], keep: number): T[] {
  return keep >= 1 ? items : items.filter(() => Math.random() < keep)
}

/**
 * Refresh latency and Redis memory against the number of live sessions: a dedicated Redis
 * filled to each size (4 sessions per user, written in the store's layout), one server
 * process, and a refresh load over a uniform sample of all the sessions at that size.
 *
 * @example
 * ```ts
 * await measureScaleCurve([10_000, 100_000, 1_000_000], { durationSeconds: 5, warmupSeconds: 2, connections: 10, log })
 * ```
 */
export async function measureScaleCurve(
  sizes: readonly number[],
  load: CurveLoad,
): Promise<ScaleResult> {
  const redisServer = await startRedisServer()
  const redis = benchRedisClient(redisServer.url)
  const jwtSecret = randomBytes(48).toString('base64url')
  const server = await startServerProcess({ env: serverEnv({ url: redisServer.url }, jwtSecret) })
  try {
    const empty = await usedMemory(redis)
    const points: ScalePoint[] = []
    let pool: PoolEntry[] = []
    let written = 0
    let users = 0
    let writeSeconds = 0
    for (const size of [...sizes].sort((a, b) => a - b)) {
      const adding = Math.ceil((size - written) / SCALE_SESSIONS_PER_USER)
      const keep = Math.min(1, SCALE_POOL_CAP / size)
      const previousKeep = written === 0 ? 1 : Math.min(1, SCALE_POOL_CAP / written)
      pool = thin(pool, keep / previousKeep)
      const result = await writeSessions({
        redis,
        keyPrefix: 'rk:',
        users: adding,
        sessionsPerUser: SCALE_SESSIONS_PER_USER,
        passwordHash: 'scrypt$16384$8$1$unused$unused',
        onSession: (session) => {
          if (keep >= 1 || Math.random() < keep) pool.push({ ...session, generation: 0 })
        },
      })
      written += result.sessions
      users += result.users
      writeSeconds += result.seconds
      const used = (await usedMemory(redis)) - empty
      load.log(
        `scale: ${written} sessions (${result.method} writes, ${result.seconds.toFixed(1)} s), ${(used / written).toFixed(0)} bytes/session; refresh over ${pool.length} of them`,
      )
      // A random order, so consecutive requests land on unrelated users and slots.
      shuffle(pool)
      const tokens = tokenPool(jwtSecret, pool)
      const figures = await loadRefresh(server, () => tokens.nextBody(), load)
      const point: ScalePoint = {
        sessions: written,
        users,
        writeSeconds,
        writeMethod: result.method,
        usedMemoryBytes: used,
        bytesPerSession: used / written,
        refresh: summarize(figures),
      }
      load.log(
        `scale: ${written} sessions: refresh ${Math.round(figures.reqPerSec)} req/s, p50 ${Math.round(point.refresh.p50Us)} µs, p99 ${Math.round(point.refresh.p99Us)} µs, non-2xx ${figures.non2xx}`,
      )
      points.push(point)
    }
    return { sessionsPerUser: SCALE_SESSIONS_PER_USER, poolSize: SCALE_POOL_CAP, points }
  } finally {
    await server.stop()
    redis.disconnect()
    await redisServer.dispose()
  }
}

async function postJson(url: string, body: unknown, expected: number): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'refresh-kit-bench' },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  if (response.status !== expected) {
    throw new Error(`POST ${url} answered ${response.status}, expected ${expected}: ${text}`)
  }
  return JSON.parse(text) as unknown
}

/**
 * Login and refresh time against how many sessions a user holds, up to the per-user limit:
 * at each count, refresh load over users who each hold that many sessions, sequential HTTP
 * logins of one user holding that many (scrypt included, so a few), and the store's own
 * `createSession` and `rotate` timed from the bench process (no scrypt, many samples).
 *
 * @example
 * ```ts
 * await measurePerUserCurve([1, 10, 25, 50], 50, load)
 * ```
 */
export async function measurePerUserCurve(
  counts: readonly number[],
  maxSessionsPerUser: number,
  load: CurveLoad & { logins: number },
): Promise<PerUserResult> {
  const redisServer = await startRedisServer()
  const redis = benchRedisClient(redisServer.url)
  const jwtSecret = randomBytes(48).toString('base64url')
  const server = await startServerProcess({
    env: serverEnv({ url: redisServer.url }, jwtSecret, {
      MAX_SESSIONS_PER_USER: String(maxSessionsPerUser),
    }),
  })
  const store: TokenStore = createRedisStore({ redis, keyPrefix: 'rk:' })
  try {
    // One registration through the server: its password hash serves every bench user.
    await postJson(
      `${server.url}/auth/register`,
      { username: 'curve-user', password: PASSWORD },
      201,
    )
    const registered = await store.findUserByUsername('curve-user')
    if (registered === null) throw new Error('the registered user is not in the store')
    const points: PerUserPoint[] = []
    for (const count of counts) {
      // Enough sessions in the pool that a session's next token is sent long after its last.
      const users = Math.max(20, Math.ceil(4000 / count))
      const pool: PoolEntry[] = []
      await writeSessions({
        redis,
        keyPrefix: 'rk:',
        users,
        sessionsPerUser: count,
        passwordHash: registered.passwordHash,
        onSession: (session) => pool.push({ ...session, generation: 0 }),
      })
      // Round-robin over users, so the requests in flight are on different users.
      pool.sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1))
      const tokens = tokenPool(jwtSecret, pool)
      const figures = await loadRefresh(server, () => tokens.nextBody(), load)

      // The login user: `count` sessions already, then logins (each adds one, or evicts one at the limit).
      const first = pool[0]
      if (first === undefined) throw new Error('no session was written')
      const loginUser = await store.findUserById(first.userId)
      if (loginUser === null) throw new Error('the written user is not in the store')
      const loginTimes: number[] = []
      for (let i = 0; i < load.logins; i++) {
        const started = nowMs()
        await postJson(
          `${server.url}/auth/login`,
          { username: loginUser.username, password: PASSWORD },
          200,
        )
        loginTimes.push(nowMs() - started)
      }
      const sessionsAfterLogins = (await store.listSessions(first.userId, Date.now())).length

      // The store's part alone, on a user of this point holding `count` sessions.
      const other = pool[1] ?? first
      const createTimes: number[] = []
      const rotateTimes: number[] = []
      const samples = 200
      const rotating = pool.find((entry) => entry.userId === other.userId) ?? other
      // Where the load left it: the last tokens handed out may never have been sent.
      let generation = (await store.getSession(rotating.userId, rotating.sessionId, Date.now()))
        ?.generation
      if (generation === undefined) throw new Error('a session of the pool is gone after the load')
      for (let i = 0; i < samples; i++) {
        const sessionId = randomBytes(16).toString('base64url')
        let started = nowMs()
        await store.createSession({
          userId: other.userId,
          sessionId,
          userAgent: null,
          now: Date.now(),
          idleTtlSeconds: 3600,
          maxAgeSeconds: 7200,
        })
        createTimes.push((nowMs() - started) * 1000)
        // Back to `count` sessions before the next sample.
        await store.revokeSession(other.userId, sessionId)
        started = nowMs()
        const result = await store.rotate({
          userId: rotating.userId,
          sessionId: rotating.sessionId,
          generation,
          now: Date.now(),
          idleTtlSeconds: 3600,
          graceSeconds: 0,
        })
        rotateTimes.push((nowMs() - started) * 1000)
        if (result.status !== 'rotated') {
          throw new Error(`the store answered ${result.status} to a rotation of the current token`)
        }
        generation += 1
      }
      const point: PerUserPoint = {
        sessionsPerUser: count,
        refresh: summarize(figures),
        loginMs: {
          median: percentile(loginTimes, 0.5),
          max: Math.max(...loginTimes),
          samples: loginTimes.length,
        },
        storeCreateSessionUs: percentile(createTimes, 0.5),
        storeRotateUs: percentile(rotateTimes, 0.5),
        sessionsAfterLogins,
      }
      load.log(
        `per-user: ${count} sessions/user: refresh ${Math.round(figures.reqPerSec)} req/s, p50 ${Math.round(point.refresh.p50Us)} µs, p99 ${Math.round(point.refresh.p99Us)} µs; login median ${point.loginMs.median.toFixed(0)} ms; store createSession ${point.storeCreateSessionUs.toFixed(0)} µs, rotate ${point.storeRotateUs.toFixed(0)} µs; ${sessionsAfterLogins} sessions after ${load.logins} logins`,
      )
      points.push(point)
    }
    return { maxSessionsPerUser, points }
  } finally {
    await server.stop()
    redis.disconnect()
    await redisServer.dispose()
  }
}

/**
 * Aggregate refresh throughput of 1 and 2 server processes sharing one Redis, then sharing a
 * local 3-master Redis Cluster. Each process gets its own autocannon with the same number of
 * connections, all drawing tokens from one pool; req/s are summed.
 *
 * @example
 * ```ts
 * await measureProcessesCurve(load)
 * ```
 */
export async function measureProcessesCurve(load: CurveLoad): Promise<ProcessesResult> {
  const poolUsers = 15_000
  const sessionsPerUser = 4
  const points: ProcessesPoint[] = []
  const topologies = ['one Redis', 'Redis Cluster, 3 masters'] as const
  for (const topology of topologies) {
    const jwtSecret = randomBytes(48).toString('base64url')
    let stopRedis: () => Promise<void>
    let client: Redis | Cluster
    let target: { url: string } | { clusterNodes: string; password: string }
    if (topology === 'one Redis') {
      const redisServer = await startRedisServer()
      client = benchRedisClient(redisServer.url)
      target = { url: redisServer.url }
      stopRedis = () => redisServer.dispose()
    } else {
      const cluster = await startRedisCluster({ masters: 3 })
      client = new Cluster([...cluster.nodes], {
        redisOptions: { password: cluster.password },
        enableAutoPipelining: true,
      })
      target = { clusterNodes: cluster.nodeList, password: cluster.password }
      stopRedis = () => cluster.stop()
    }
    const servers: ServerProcess[] = []
    try {
      const pool: PoolEntry[] = []
      const written = await writeSessions({
        redis: client,
        keyPrefix: 'rk:',
        users: poolUsers,
        sessionsPerUser,
        passwordHash: 'scrypt$16384$8$1$unused$unused',
        onSession: (session) => pool.push({ ...session, generation: 0 }),
      })
      load.log(
        `processes: ${topology}: ${written.sessions} sessions written (${written.method}) in ${written.seconds.toFixed(1)} s`,
      )
      shuffle(pool)
      const tokens = tokenPool(jwtSecret, pool)
      for (let i = 0; i < 2; i++) {
        servers.push(await startServerProcess({ env: serverEnv(target, jwtSecret) }))
      }
      for (const processes of [1, 2]) {
        const running = servers.slice(0, processes)
        const nextBody = () => tokens.nextBody()
        const runs = await Promise.all(running.map((server) => loadRefresh(server, nextBody, load)))
        const point: ProcessesPoint = {
          topology,
          processes,
          reqPerSec: runs.reduce((sum, run) => sum + run.reqPerSec, 0),
          p50Us: Math.max(...runs.map((run) => run.latencyUs.p50)),
          p99Us: Math.max(...runs.map((run) => run.latencyUs.p99)),
          non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
          requests: runs.reduce((sum, run) => sum + run.requests, 0),
        }
        load.log(
          `processes: ${topology}, ${processes} process${processes === 1 ? '' : 'es'}: ${Math.round(point.reqPerSec)} refresh/s, p50 ${Math.round(point.p50Us)} µs, p99 ${Math.round(point.p99Us)} µs, non-2xx ${point.non2xx}`,
        )
        points.push(point)
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()))
      client.disconnect()
      await stopRedis()
    }
  }
  return { poolSize: poolUsers * sessionsPerUser, connectionsPerProcess: load.connections, points }
}
