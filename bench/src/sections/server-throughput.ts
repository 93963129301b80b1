import { randomBytes } from 'node:crypto'
import { createRedisStore, createTokenKeys, type TokenStore } from '@refresh-kit/server'
import { createRefreshTokenCodec } from '@refresh-kit/server/internal'
import type { TokenResponse } from '@refresh-kit/shared'
import jsonwebtoken from 'jsonwebtoken'
import { readCommandStats, usecOf } from '../lib/commandstats.js'
import { type LoadFigures, runLoad } from '../lib/load.js'
import { BASELINE_ENTRY } from '../lib/paths.js'
import {
  benchRedisClient,
  deleteKeysUnder,
  inBatches,
  provisionRedis,
  redisCpuSeconds,
} from '../lib/redis.js'
import { type ServerProcess, startServerProcess } from '../lib/server-process.js'

/** The scenarios of the server run; the baseline always runs, the others are relative to it. */
export type ScenarioId = 'baseline' | 'me' | 'koa-jwt' | 'refresh' | 'naive-refresh' | 'login'

/** Redis commands that do a scenario's store work, priced by `INFO commandstats`. */
const STORE_COMMANDS: Partial<Record<ScenarioId, readonly string[]>> = {
  // A script's usec includes the commands it runs (counted again under their own names).
  refresh: ['evalsha', 'eval'],
  'naive-refresh': ['get', 'del', 'set'],
}

/** One measured scenario of the server. */
export interface ServerScenario {
  id: ScenarioId
  name: string
  method: 'GET' | 'POST'
  path: string
  figures: LoadFigures
  /** `reqPerSec` divided by the baseline's. */
  ratioToBaseline: number
  /** Which server answered: refresh-kit, or the hand-written Koa app users would otherwise run. */
  server: 'refresh-kit' | 'koa-baseline'
  /** Redis `usec` (INFO commandstats) of the scenario's store commands per 2xx response. */
  redisCommandUsPerResponse: number | null
}

/** What {@link measureServer} found. */
export interface ServerResult {
  redis: { source: string; passwordProtected: boolean }
  baselineChoice: string
  connections: number
  warmupSeconds: number
  durationSeconds: number
  scenarios: ServerScenario[]
  refresh: null | {
    /** Sessions written before the run, each with a refresh token used at most once. */
    poolSize: number
    poolCreateSeconds: number
    /** Tokens handed to requests (warm-up included). */
    handedOut: number
    /** Whether requests outran the pool (they were sent a refused token, so non-2xx shows it). */
    exhausted: boolean
    /** Sessions whose generation moved from 0 to 1: real rotations the store saw. */
    rotatedInStore: number
    /** Sessions rotated more than once: would mean a token was sent twice. */
    rotatedTwice: number
  }
  login: { scrypt: { N: number; r: number; p: number } | null }
  /** The entry that ran, when it was not the server's dist/main.js. */
  serverEntry: string | null
  /** Where the server's CPU profile went, when one was taken. */
  cpuProfileDir: string | null
}

/** Options of {@link measureServer}. */
export interface ServerBenchOptions {
  durationSeconds: number
  warmupSeconds: number
  connections: number
  cpuProfileDir: string | null
  /** Run this entry instead of the server's dist/main.js (see `startServerProcess`). @default null */
  serverEntry?: string | null
  /** Which scenarios run besides the baseline. @default all */
  scenarios?: ReadonlySet<ScenarioId>
  log: (line: string) => void
}

const BASELINE_CHOICE =
  'GET /healthz of the real dist/main.js: the same process, Koa app and middleware stack ' +
  '(request id, access log, error handler, CORS, no-store, router) as /auth/*, with no auth ' +
  'and no store call, so each ratio prices exactly what the route adds.'

const USERNAME = 'bench-user'
const PASSWORD = 'bench-password-1'
// Sessions per pool user: a few, as real users have; the store walks a user's sessions on login.
const SESSIONS_PER_POOL_USER = 4
const MIN_POOL_RATE = 2000

async function postJson<T>(url: string, body: unknown, expected: number): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  if (response.status !== expected) {
    throw new Error(`POST ${url} answered ${response.status}, expected ${expected}: ${text}`)
  }
  return JSON.parse(text) as T
}

function scryptParams(encoded: string): { N: number; r: number; p: number } | null {
  const match = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$/.exec(encoded)
  if (match === null) return null
  return { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) }
}

/**
 * Measures the token server in its own process (`node packages/server/dist/main.js`) against
 * a real password-protected Redis: the baseline, `GET /auth/me`, `POST /auth/refresh` with a
 * token nobody has used per request, and `POST /auth/login`. Each scenario gets a warm-up
 * whose figures are discarded, then the measured run.
 *
 * @example
 * ```ts
 * const result = await measureServer({ durationSeconds: 10, warmupSeconds: 3, connections: 10, cpuProfileDir: null, log: console.log })
 * ```
 */
export async function measureServer(options: ServerBenchOptions): Promise<ServerResult> {
  const { log } = options
  const redisHandle = await provisionRedis()
  const keyPrefix = `rk-bench:${randomBytes(4).toString('hex')}:`
  const jwtSecret = randomBytes(48).toString('base64url')
  const redis = benchRedisClient(redisHandle.url)
  const passwordProtected = new URL(redisHandle.url).password !== ''
  log(`server: Redis from ${redisHandle.source}${passwordProtected ? ', password-protected' : ''}`)
  const server = await startServerProcess({
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redisHandle.url,
      REDIS_KEY_PREFIX: keyPrefix,
      TOKEN_STORE: 'redis',
      JWT_SECRET: jwtSecret,
      LOG_LEVEL: 'error',
      NODE_ENV: 'production',
      // Every request comes from one address: the per-address login limit would measure 429s.
      LOGIN_RATE_LIMIT: '0',
      // Ten parallel logins of one user reserve more failures than the per-pair limit allows
      // (reserved before the password is checked): the login figure prices the login alone.
      LOGIN_MAX_FAILURES: '0',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '0',
      // Production refuses every login limit off unless it is named as a choice.
      ALLOW_INSECURE: 'LOGIN_LIMITS',
    },
    cpuProfileDir: options.cpuProfileDir,
    ...(options.serverEntry === null || options.serverEntry === undefined
      ? {}
      : { entry: options.serverEntry }),
  })
  log(`server: listening on ${server.url} (pid ${server.pid})`)
  const store: TokenStore = createRedisStore({ redis, keyPrefix })
  const scenarios: ServerScenario[] = []
  try {
    await postJson(`${server.url}/auth/register`, { username: USERNAME, password: PASSWORD }, 201)
    const login = await postJson<TokenResponse>(
      `${server.url}/auth/login`,
      { username: USERNAME, password: PASSWORD },
      200,
    )
    const user = await store.findUserByUsername(USERNAME)
    if (user === null) throw new Error('the registered user is not in the store under the prefix')
    const { passwordHash } = user

    const measure = async (
      id: ScenarioId,
      name: string,
      scenario: Omit<Parameters<typeof runLoad>[0], 'url' | 'durationSeconds' | 'connections'>,
      target: ServerProcess = server,
    ): Promise<ServerScenario> => {
      const common = { url: target.url, connections: options.connections }
      await runLoad({ ...common, ...scenario, durationSeconds: options.warmupSeconds })
      const figures = await runLoad(
        { ...common, ...scenario, durationSeconds: options.durationSeconds },
        {
          server: () => target.cpuSeconds(),
          redis: () => redisCpuSeconds(redis),
          commands: () => readCommandStats(redis),
        },
      )
      const baseline = scenarios[0]?.figures.reqPerSec ?? figures.reqPerSec
      const storeCommands = STORE_COMMANDS[id]
      const answered = figures.statusCodes['200'] ?? 0
      const result: ServerScenario = {
        id,
        name,
        method: scenario.method,
        path: scenario.path,
        figures,
        ratioToBaseline: figures.reqPerSec / baseline,
        server: target === server ? 'refresh-kit' : 'koa-baseline',
        redisCommandUsPerResponse:
          storeCommands === undefined || figures.commandStats === null || answered === 0
            ? null
            : usecOf(figures.commandStats, storeCommands) / answered,
      }
      const serverCpu = figures.cpuPerRequestUs.server
      log(
        `server: ${name}: ${Math.round(figures.reqPerSec)} req/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, non-2xx ${figures.non2xx}, server CPU ${serverCpu === null ? 'n/a' : `${Math.round(serverCpu)} µs`}/request`,
      )
      scenarios.push(result)
      return result
    }

    const wanted = (id: ScenarioId) => options.scenarios === undefined || options.scenarios.has(id)
    const baseline = await measure('baseline', 'baseline: GET /healthz (no auth)', {
      method: 'GET',
      path: '/healthz',
    })
    let refresh: ServerResult['refresh'] = null
    const baselineServer =
      wanted('koa-jwt') || wanted('naive-refresh')
        ? await startServerProcess({
            entry: BASELINE_ENTRY,
            env: {
              PORT: '0',
              HOST: '127.0.0.1',
              REDIS_URL: redisHandle.url,
              BASELINE_JWT_SECRET: jwtSecret,
              BASELINE_KEY_PREFIX: `${keyPrefix}naive:`,
              NODE_ENV: 'production',
            },
          })
        : null
    try {
      if (wanted('me')) {
        await measure('me', 'GET /auth/me (valid token)', {
          method: 'GET',
          path: '/auth/me',
          headers: { authorization: `Bearer ${login.accessToken}` },
        })
      }
      if (baselineServer !== null && wanted('koa-jwt')) {
        // Signed as koa-jwt's README has it: jsonwebtoken with the string secret.
        const token = jsonwebtoken.sign({ sub: user.id, username: USERNAME }, jwtSecret, {
          expiresIn: '15m',
        })
        await measure(
          'koa-jwt',
          'GET /auth/me, Koa + koa-jwt (users would write)',
          { method: 'GET', path: '/auth/me', headers: { authorization: `Bearer ${token}` } },
          baselineServer,
        )
      }
      if (wanted('refresh')) refresh = await measureRefresh()
      if (baselineServer !== null && wanted('naive-refresh')) {
        await measureNaiveRefresh(baselineServer)
      }
    } finally {
      await baselineServer?.stop()
    }
    if (wanted('login')) {
      await measure('login', 'POST /auth/login (scrypt)', {
        method: 'POST',
        path: '/auth/login',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: USERNAME, password: PASSWORD }),
      })
    }

    function poolSizeFor(): number {
      const ceilingRate =
        scenarios.find((scenario) => scenario.id === 'me')?.figures.reqPerSec ??
        baseline.figures.reqPerSec
      return (
        Math.ceil(
          Math.max(ceilingRate * 1.5, MIN_POOL_RATE) *
            (options.warmupSeconds + options.durationSeconds),
        ) + 2000
      )
    }

    async function measureNaiveRefresh(target: ServerProcess): Promise<void> {
      // The common rotation's records: opaque random token -> JSON of who it belongs to.
      const size = poolSizeFor()
      const tokens = Array.from({ length: size }, () => randomBytes(32).toString('base64url'))
      const record = JSON.stringify({ userId: user?.id ?? '', username: USERNAME })
      for (let start = 0; start < size; start += 5000) {
        const pipeline = redis.pipeline()
        for (const token of tokens.slice(start, start + 5000)) {
          pipeline.set(`${keyPrefix}naive:${token}`, record, 'EX', 7200)
        }
        await pipeline.exec()
      }
      let cursor = 0
      await measure(
        'naive-refresh',
        'POST /auth/refresh, GET/DEL/SET rotation (users would write)',
        {
          method: 'POST',
          path: '/auth/refresh',
          headers: { 'content-type': 'application/json' },
          nextBody: () => {
            const token = tokens[cursor] ?? 'exhausted'
            cursor += 1
            return JSON.stringify({ refreshToken: token })
          },
        },
        target,
      )
    }

    async function measureRefresh(): Promise<NonNullable<ServerResult['refresh']>> {
      // One unused refresh token per request, for as many as could be sent: a refresh does all a
      // protected request does and more, so the /auth/me rate with a margin bounds it (with a
      // floor, in case that ran while the machine was busy). Running out shows as non-2xx.
      const poolSize = poolSizeFor()
      const poolStarted = Date.now()
      const codec = createRefreshTokenCodec(createTokenKeys({ jwtSecret }).refreshMacKey)
      const userIds = Array.from({ length: Math.ceil(poolSize / SESSIONS_PER_POOL_USER) }, () =>
        randomBytes(16).toString('base64url'),
      )
      await inBatches(userIds.length, 2000, (i) =>
        store.createUser({
          id: userIds[i] ?? '',
          username: `bench-pool-${i}`,
          passwordHash,
          createdAt: Date.now(),
        }),
      )
      const pool: { userId: string; sessionId: string; token: string }[] = []
      for (let i = 0; i < poolSize; i++) {
        const userId = userIds[i % userIds.length] ?? ''
        const sessionId = randomBytes(16).toString('base64url')
        pool.push({ userId, sessionId, token: codec.issue({ userId, sessionId, generation: 0 }) })
      }
      const now = Date.now()
      await inBatches(pool.length, 2000, (i) => {
        const entry = pool[i]
        if (entry === undefined) return Promise.resolve()
        return store.createSession({
          userId: entry.userId,
          sessionId: entry.sessionId,
          userAgent: null,
          now,
          idleTtlSeconds: 3600,
          maxAgeSeconds: 7200,
        })
      })
      const poolCreateSeconds = (Date.now() - poolStarted) / 1000
      log(
        `server: ${poolSize} sessions for the refresh pool written in ${poolCreateSeconds.toFixed(1)} s`,
      )
      let cursor = 0
      const nextBody = () => {
        const entry = pool[cursor]
        cursor += 1
        // Past the pool: a token the server refuses, so exhaustion shows as non-2xx, never as a grace hit.
        return JSON.stringify({ refreshToken: entry?.token ?? 'rk1.exhausted' })
      }
      await measure('refresh', 'POST /auth/refresh (unused token each)', {
        method: 'POST',
        path: '/auth/refresh',
        headers: { 'content-type': 'application/json' },
        nextBody,
      })
      const handedOut = Math.min(cursor, pool.length)
      const exhausted = cursor > pool.length
      let rotatedInStore = 0
      let rotatedTwice = 0
      await inBatches(handedOut, 2000, async (i) => {
        const entry = pool[i]
        if (entry === undefined) return
        const session = await store.getSession(entry.userId, entry.sessionId, Date.now())
        if (session !== null && session.generation >= 1) rotatedInStore += 1
        if (session !== null && session.generation > 1) rotatedTwice += 1
      })

      return { poolSize, poolCreateSeconds, handedOut, exhausted, rotatedInStore, rotatedTwice }
    }

    return {
      redis: { source: redisHandle.source, passwordProtected },
      baselineChoice: BASELINE_CHOICE,
      connections: options.connections,
      warmupSeconds: options.warmupSeconds,
      durationSeconds: options.durationSeconds,
      scenarios,
      refresh,
      login: { scrypt: scryptParams(passwordHash) },
      serverEntry: options.serverEntry ?? null,
      cpuProfileDir: options.cpuProfileDir,
    }
  } finally {
    await server.stop()
    await deleteKeysUnder(redis, keyPrefix).catch(() => 0)
    redis.disconnect()
    await redisHandle.stop()
  }
}
