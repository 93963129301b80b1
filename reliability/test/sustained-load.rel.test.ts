import { type AuthClient, createAuthClient, memoryStorage } from '@refresh-kit/client-sdk'
import { ROUTES } from '@refresh-kit/shared'
import { useTestRedis } from '@refresh-kit/shared/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSessions, PASSWORD, type Session, uniqueUsername } from '../src/accounts.js'
import { recordFigure } from '../src/figures.js'
import { httpRequest, keepAliveAgent } from '../src/http.js'
import { errorCodeOf, runLoad, type Sample } from '../src/load.js'
import { runMode } from '../src/mode.js'
import { countKeys, keyKinds, keysWithoutTtl } from '../src/redis-keys.js'
import { crashSigns, type ServerProcess, startServerProcess } from '../src/server-process.js'
import { meOnce, refreshOnce } from '../src/session-ops.js'
import { median, quantile, sleep } from '../src/stats.js'

const mode = runMode()
const redis = useTestRedis('sustained')
const RAW_LOOPS = 16
const SDK_CLIENTS = 4
/** Short enough that the SDK clients refresh on their own several times per run. */
const ACCESS_TOKEN_TTL = 35

let server: ServerProcess

beforeAll(async () => {
  server = await startServerProcess({
    env: {
      TOKEN_STORE: 'redis',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.keyPrefix,
      ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL),
    },
  })
})

afterAll(async () => {
  if (server?.pid() !== undefined) await server.stop()
})

async function rssMedian(samples = 5): Promise<number> {
  const values: number[] = []
  for (let i = 0; i < samples; i++) {
    values.push(await server.rssBytes())
    await sleep(200)
  }
  return median(values)
}

describe('sustained load', () => {
  it('serves mixed SDK and raw traffic with no error, no memory growth and no orphan keys', async () => {
    const usernames = Array.from({ length: 4 }, (_, i) => uniqueUsername('load', i))
    const sessions = await openSessions(server.url, usernames, RAW_LOOPS / usernames.length)
    const clients: AuthClient[] = []
    for (let i = 0; i < SDK_CLIENTS; i++) {
      const auth = createAuthClient({ baseURL: server.url, storage: memoryStorage() })
      await auth.login({ username: usernames[i % usernames.length] as string, password: PASSWORD })
      clients.push(auth)
    }
    const cycleUser = uniqueUsername('load-cycle')
    await httpRequest(`${server.url}${ROUTES.register}`, {
      method: 'POST',
      json: { username: cycleUser, password: PASSWORD },
      timeoutMs: 30_000,
    })
    const admin = redis.client()
    const keysBefore = await countKeys(admin, redis.keyPrefix)
    const kindsBefore = await keyKinds(admin, redis.keyPrefix)
    const agent = keepAliveAgent(RAW_LOOPS * 2)

    const rawOperation = async (worker: number, index: number): Promise<Sample> => {
      const session = sessions[worker] as Session
      if (index % 5 === 0) return refreshOnce(server.url, session, { agent })
      if (index % 11 === 0) {
        const startedAt = performance.now()
        const res = await httpRequest(`${server.url}${ROUTES.sessions}`, {
          headers: { authorization: `Bearer ${session.accessToken}` },
          agent,
        })
        const error = errorCodeOf(res.body) ?? res.error
        return {
          kind: 'sessions',
          status: res.status,
          startedAt,
          ms: res.ms,
          ...(error === undefined ? {} : { error }),
        }
      }
      return meOnce(server.url, session, { agent })
    }
    const sdkOperation = async (worker: number): Promise<Sample> => {
      const auth = clients[worker % SDK_CLIENTS] as AuthClient
      const startedAt = performance.now()
      try {
        const res = await auth.http.get(ROUTES.me)
        return { kind: 'sdk me', status: res.status, startedAt, ms: performance.now() - startedAt }
      } catch (error) {
        const status = (error as { status?: number }).status ?? 0
        return {
          kind: 'sdk me',
          status,
          startedAt,
          ms: performance.now() - startedAt,
          error: String(error),
        }
      }
    }
    // Login, use, logout: sessions come and go, and must leave no key behind.
    const cycleOperation = async (): Promise<Sample> => {
      const startedAt = performance.now()
      const login = await httpRequest(`${server.url}${ROUTES.login}`, {
        method: 'POST',
        json: { username: cycleUser, password: PASSWORD },
        agent,
        timeoutMs: 30_000,
      })
      if (login.status !== 200) {
        return { kind: 'cycle', status: login.status, startedAt, ms: login.ms, error: login.text }
      }
      const { refreshToken } = login.body as { refreshToken: string }
      const logout = await httpRequest(`${server.url}${ROUTES.logout}`, {
        method: 'POST',
        json: { refreshToken },
        agent,
      })
      return { kind: 'cycle', status: logout.status, startedAt, ms: performance.now() - startedAt }
    }

    const phase = (durationMs: number) =>
      Promise.all([
        runLoad(rawOperation, { concurrency: RAW_LOOPS, durationMs }),
        runLoad(sdkOperation, { concurrency: SDK_CLIENTS * 2, durationMs }),
        runLoad(cycleOperation, { concurrency: 1, durationMs }),
      ]).then((parts) => parts.flat())

    const warmup = await phase(mode.warmupMs)
    const rssWarm = await rssMedian()
    const started = performance.now()
    const measured = phase(mode.sustainedMs)
    // RSS at the end of the run, while the load is still on.
    await sleep(Math.max(0, mode.sustainedMs - 1_200))
    const rssEnd = await rssMedian()
    const samples = await measured
    const elapsedS = (performance.now() - started) / 1000
    agent.destroy()

    const keysAfter = await countKeys(admin, redis.keyPrefix)
    const kindsAfter = await keyKinds(admin, redis.keyPrefix)
    const immortal = await keysWithoutTtl(admin, redis.keyPrefix)
    const failures = [...warmup, ...samples].filter((s) => s.status < 200 || s.status >= 300)
    const growth = (rssEnd - rssWarm) / rssWarm
    const latencies = samples.map((s) => s.ms)
    const byKind = (kind: string) => samples.filter((s) => s.kind === kind).length

    recordFigure({
      name: 'sustained load: requests served',
      value: samples.length,
      unit: 'requests',
      goal: 'as many as the machine holds',
      detail: `${(samples.length / elapsedS).toFixed(0)} req/s over ${elapsedS.toFixed(1)} s; me ${byKind('me')}, refresh ${byKind('refresh')}, sessions ${byKind('sessions')}, SDK me ${byKind('sdk me')}, login+logout ${byKind('cycle')}; p50 ${median(latencies).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms`,
    })
    recordFigure({
      name: 'sustained load: non-2xx answers',
      value: failures.length,
      unit: '',
      goal: '0',
      detail: [...new Set(failures.map((s) => `${s.kind} ${s.status} ${s.error ?? ''}`))]
        .slice(0, 5)
        .join('; '),
    })
    recordFigure({
      name: 'sustained load: server RSS growth from warm-up to end',
      value: growth * 100,
      unit: '%',
      goal: '< 20 %',
      detail: `${(rssWarm / 2 ** 20).toFixed(1)} MiB -> ${(rssEnd / 2 ** 20).toFixed(1)} MiB`,
    })
    recordFigure({
      name: 'sustained load: Redis keys after the run minus before',
      value: keysAfter - keysBefore,
      unit: 'keys',
      goal: '0',
      detail: `${keysBefore} -> ${keysAfter}; ${JSON.stringify(kindsAfter)}; without TTL: ${immortal.length}`,
    })

    expect(samples.length).toBeGreaterThan(0)
    expect(byKind('sdk me')).toBeGreaterThan(0)
    expect(byKind('cycle')).toBeGreaterThan(0)
    expect(failures).toEqual([])
    expect(growth).toBeLessThan(0.2)
    expect(kindsAfter).toEqual(kindsBefore)
    expect(keysAfter).toBe(keysBefore)
    expect(immortal).toEqual([])
    expect(server.exits()).toEqual([])
    expect(crashSigns(server.stdout() + server.stderr())).toEqual([])
  })
})
