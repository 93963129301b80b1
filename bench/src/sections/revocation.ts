import { randomBytes } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import {
  authSettingsOf,
  createAccessTokens,
  createMemoryRevocations,
  createRedisRevocations,
  createTokenKeys,
  loadConfig,
} from '@refresh-kit/server'
import type { TokenResponse } from '@refresh-kit/shared'
import { type LoadFigures, runLoad } from '../lib/load.js'
import { benchRedisClient, deleteKeysUnder, provisionRedis, redisCpuSeconds } from '../lib/redis.js'
import { type ServerProcess, startServerProcess } from '../lib/server-process.js'

/** One measured `/auth/me` run of one server. */
export interface RevocationRun {
  revocation: 'on' | 'off'
  round: number
  figures: LoadFigures
}

/** What {@link measureRevocation} found. */
export interface RevocationResult {
  connections: number
  warmupSeconds: number
  durationSeconds: number
  /** Revocations the "on" server held in memory during its runs. */
  heldRevocations: number
  runs: RevocationRun[]
  /** Median req/s and server CPU µs per response of each side, over its runs. */
  summary: Record<'on' | 'off', { reqPerSec: number; serverCpuUs: number | null }>
  /** From a revocation recorded and published by another instance to the first 401 of the server. */
  propagation: { trials: number; p50Ms: number; p95Ms: number; maxMs: number }
  memory: {
    /** Heap bytes an instance holds per 10,000 ended sessions, and per 10,000 logged-out users. */
    heapBytesPer10kSessions: number
    heapBytesPer10kUsers: number
    /** `MEMORY USAGE` of the Redis record holding 10,000 revocations. */
    redisBytesPer10k: number
    method: string
  }
}

/** Options of {@link measureRevocation}. */
export interface RevocationBenchOptions {
  durationSeconds: number
  warmupSeconds: number
  connections: number
  /** Alternating runs of each side. @default 4 */
  rounds?: number
  log: (line: string) => void
}

const USERNAME = 'bench-revocation'
const PASSWORD = 'bench-password-1'
const HELD = 10_000
const PROPAGATION_TRIALS = 50

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`POST ${url} answered ${response.status}: ${text}`)
  return (text === '' ? null : JSON.parse(text)) as T
}

function forcedGc(): () => void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  return () => {
    gc()
    gc()
  }
}

/** Heap bytes held by `fill` once done, with garbage collected before and after. */
async function heapHeldBy(fill: () => Promise<unknown>): Promise<number> {
  const gc = forcedGc()
  gc()
  const before = process.memoryUsage().heapUsed
  const held = await fill()
  gc()
  const after = process.memoryUsage().heapUsed
  // Keeps what fill built reachable until the second reading.
  if (held === undefined) throw new Error('nothing was held')
  return after - before
}

/** The `p`th percentile of ascending `sorted` values, nearest rank. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  if (sorted.length === 0) return 0
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

/**
 * `GET /auth/me` with revocation on (holding 10,000 ended sessions) against off, two token
 * server processes on one Redis measured in alternating runs; how fast a revocation made by
 * another instance reaches a server; and the memory 10,000 revocations take.
 *
 * @example
 * ```ts
 * const result = await measureRevocation({ durationSeconds: 10, warmupSeconds: 3, connections: 10, log: console.log })
 * ```
 */
export async function measureRevocation(
  options: RevocationBenchOptions,
): Promise<RevocationResult> {
  const { log } = options
  const rounds = options.rounds ?? 4
  const redisHandle = await provisionRedis()
  const redis = benchRedisClient(redisHandle.url)
  const keyPrefix = `rk-bench-rv:${randomBytes(4).toString('hex')}:`
  const jwtSecret = randomBytes(48).toString('base64url')
  const env = (revocation: 'on' | 'off') => ({
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: redisHandle.url,
    REDIS_KEY_PREFIX: keyPrefix,
    JWT_SECRET: jwtSecret,
    LOG_LEVEL: 'error',
    NODE_ENV: 'production',
    ACCESS_TOKEN_REVOCATION: revocation === 'on' ? 'true' : 'false',
  })
  const servers: Partial<Record<'on' | 'off', ServerProcess>> = {}
  const lifetimes = {
    accessTokenTtlSeconds: authSettingsOf(loadConfig(env('on'))).accessTokenTtlSeconds,
    clockToleranceSeconds: authSettingsOf(loadConfig(env('on'))).clockToleranceSeconds,
  }
  // The bench process acts as one more instance: it records and publishes like a server does.
  const peer = createRedisRevocations({
    redis,
    keyPrefix,
    ...lifetimes,
  })
  try {
    servers.on = await startServerProcess({ env: env('on') })
    servers.off = await startServerProcess({ env: env('off') })
    await peer.ready()
    await postJson(`${servers.on.url}/auth/register`, { username: USERNAME, password: PASSWORD })
    // The same work on the other server, so that both hold what a registration loads (the
    // password-strength dictionaries) and differ only in revocation.
    await postJson(`${servers.off.url}/auth/register`, {
      username: `${USERNAME}-off`,
      password: PASSWORD,
    })
    await postJson(`${servers.off.url}/auth/login`, {
      username: `${USERNAME}-off`,
      password: PASSWORD,
    })
    const login = await postJson<TokenResponse>(`${servers.on.url}/auth/login`, {
      username: USERNAME,
      password: PASSWORD,
    })

    // Ended sessions the "on" server then holds, published as other instances would.
    for (let at = 0; at < HELD; at += 50) {
      await peer.revoke({
        userId: randomBytes(16).toString('base64url'),
        sessionIds: Array.from({ length: 50 }, () => randomBytes(16).toString('base64url')),
      })
    }
    log(`revocation: ${HELD} ended sessions recorded and published`)

    const runs: RevocationRun[] = []
    for (let round = 0; round < rounds; round++) {
      // on, off, then off, on: a drift of the machine's load weighs on both sides alike.
      const order: ('on' | 'off')[] = round % 2 === 0 ? ['on', 'off'] : ['off', 'on']
      for (const side of order) {
        const server = servers[side]
        if (server === undefined) throw new Error('server not started')
        const scenario = {
          url: server.url,
          method: 'GET' as const,
          path: '/auth/me',
          headers: { authorization: `Bearer ${login.accessToken}` },
          connections: options.connections,
        }
        await runLoad({ ...scenario, durationSeconds: options.warmupSeconds })
        const figures = await runLoad(
          { ...scenario, durationSeconds: options.durationSeconds },
          { server: () => server.cpuSeconds(), redis: () => redisCpuSeconds(redis) },
        )
        if (figures.non2xx > 0) throw new Error(`/auth/me answered ${figures.non2xx} non-2xx`)
        log(
          `revocation ${side}, round ${round + 1}: ${Math.round(figures.reqPerSec)} req/s, p99 ${figures.p99Ms} ms, server CPU ${figures.cpuPerRequestUs.server?.toFixed(0) ?? 'n/a'} µs/response`,
        )
        runs.push({ revocation: side, round, figures })
      }
    }
    const summaryOf = (side: 'on' | 'off') => {
      const mine = runs.filter((run) => run.revocation === side).map((run) => run.figures)
      const cpu = mine.map((figures) => figures.cpuPerRequestUs.server)
      // Medians: one run disturbed by the rest of a shared machine must not decide the figure.
      return {
        reqPerSec: median(mine.map((figures) => figures.reqPerSec)),
        serverCpuUs: cpu.some((value) => value === null) ? null : median(cpu as number[]),
      }
    }

    // Propagation: a token of a fresh session id, revoked by the peer, polled on the server.
    // Signed as the servers sign, with the settings they resolve from the same environment.
    const settings = authSettingsOf(loadConfig(env('on')))
    const signer = createAccessTokens({
      keys: createTokenKeys({ jwtSecret }).access,
      issuer: settings.issuer,
      audience: settings.audience,
      ttlSeconds: settings.accessTokenTtlSeconds,
      clockToleranceSeconds: settings.clockToleranceSeconds,
    })
    const delays: number[] = []
    for (let trial = 0; trial < PROPAGATION_TRIALS; trial++) {
      const sessionId = randomBytes(16).toString('base64url')
      const { token } = signer.sign({ userId: 'u-prop', sessionId, username: USERNAME })
      await peer.revoke({ userId: 'u-prop', sessionIds: [sessionId] })
      const answered = performance.now()
      for (;;) {
        const response = await fetch(`${servers.on.url}/auth/me`, {
          headers: { authorization: `Bearer ${token}` },
        })
        await response.body?.cancel()
        if (response.status === 401) break
        if (performance.now() - answered > 10_000) throw new Error('a revocation never arrived')
      }
      delays.push(performance.now() - answered)
    }
    const sorted = [...delays].sort((a, b) => a - b)
    const propagation = {
      trials: PROPAGATION_TRIALS,
      p50Ms: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
      maxMs: sorted.at(-1) ?? 0,
    }
    log(
      `revocation: propagation p50 ${propagation.p50Ms.toFixed(1)} ms, p95 ${propagation.p95Ms.toFixed(1)} ms, max ${propagation.maxMs.toFixed(1)} ms`,
    )

    const ids = () => randomBytes(16).toString('base64url')
    const heapBytesPer10kSessions = await heapHeldBy(async () => {
      const list = createMemoryRevocations({ ...lifetimes })
      for (let i = 0; i < 10_000; i++) await list.revoke({ userId: 'u', sessionIds: [ids()] })
      return list
    })
    const heapBytesPer10kUsers = await heapHeldBy(async () => {
      const list = createMemoryRevocations({ ...lifetimes })
      for (let i = 0; i < 10_000; i++) {
        await list.revoke({ userId: ids(), sessionIds: [], notBefore: 1_800_000_000 })
      }
      return list
    })
    const sizing = benchRedisClient(redisHandle.url)
    const sizingPrefix = `${keyPrefix}sizing:`
    const recorder = createRedisRevocations({
      redis: sizing,
      keyPrefix: sizingPrefix,
      ...lifetimes,
    })
    await recorder.ready()
    for (let at = 0; at < 10_000; at += 100) {
      await recorder.revoke({ userId: 'u', sessionIds: Array.from({ length: 100 }, ids) })
    }
    const redisBytesPer10k = Number(
      await redis.call('MEMORY', 'USAGE', `${sizingPrefix}{rv}:revoked`, 'SAMPLES', '0'),
    )
    await recorder.close()
    sizing.disconnect()
    const memory = {
      heapBytesPer10kSessions,
      heapBytesPer10kUsers,
      redisBytesPer10k,
      method:
        'heap: process.memoryUsage().heapUsed around 10,000 revocations of 22-character ids (as the server draws them) into one list, gc forced before and after; Redis: MEMORY USAGE of the sorted set holding 10,000 of them',
    }
    log(
      `revocation: memory ${(heapBytesPer10kSessions / 1024).toFixed(0)} KiB heap per 10,000 sessions, ${(heapBytesPer10kUsers / 1024).toFixed(0)} KiB per 10,000 users, ${(redisBytesPer10k / 1024).toFixed(0)} KiB in Redis`,
    )

    return {
      connections: options.connections,
      warmupSeconds: options.warmupSeconds,
      durationSeconds: options.durationSeconds,
      heldRevocations: HELD,
      runs,
      summary: { on: summaryOf('on'), off: summaryOf('off') },
      propagation,
      memory,
    }
  } finally {
    await peer.close()
    await Promise.all([servers.on?.stop(), servers.off?.stop()])
    await deleteKeysUnder(redis, keyPrefix).catch(() => 0)
    redis.disconnect()
    await redisHandle.stop()
  }
}
