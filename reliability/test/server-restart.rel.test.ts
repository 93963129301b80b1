import {
  type AuthClient,
  createAuthClient,
  isAuthError,
  memoryStorage,
} from '@refresh-kit/client-sdk'
import { ROUTES } from '@refresh-kit/shared'
import { useTestRedis } from '@refresh-kit/testing'
import { isAxiosError } from 'axios'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSessions, PASSWORD, type Session, uniqueUsername } from '../src/accounts.js'
import { percent, recordFigure } from '../src/figures.js'
import { type HttpResult, httpRequest, keepAliveAgent } from '../src/http.js'
import { runLoad, type Sample } from '../src/load.js'
import { runMode } from '../src/mode.js'
import { crashSigns, type ServerProcess, startServerProcess } from '../src/server-process.js'
import { meOnce, refreshOnce } from '../src/session-ops.js'
import { sleep } from '../src/stats.js'

const mode = runMode()
const redis = useTestRedis('restart')
const RAW_LOOPS = 8
const SDK_CLIENTS = 4
/**
 * Long enough that no token expires across the restart. The SDK refreshes inside its leeway
 * (at most half a token's lifetime), so the test ages the clients' tokens by moving their
 * clock past half of it: once before SIGTERM and once after the restart.
 */
const ACCESS_TOKEN_TTL = 32
const AGE_TOKENS_MS = (ACCESS_TOKEN_TTL / 2 + 1) * 1000
/** Logins sent just before SIGTERM: slow (scrypt), so most are still running when it lands. */
const IN_FLIGHT_LOGINS = 6

let server: ServerProcess

beforeAll(async () => {
  server = await startServerProcess({
    env: {
      TOKEN_STORE: 'redis',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.keyPrefix,
      ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL),
      // The access log shows what the server still answered while shutting down.
      LOG_LEVEL: 'info',
    },
  })
})

interface LogLine {
  msg?: string
  time?: string
  method?: string
  path?: string
  status?: number
  ms?: number
}

/** The server's log lines from its `shutting down` line up to the next start. */
function shutdownLog(stdout: string): { lines: LogLine[]; tookMs: number } {
  const lines: LogLine[] = []
  let started: number | undefined
  let last = 0
  for (const text of stdout.split('\n')) {
    if (!text.startsWith('{')) {
      if (started !== undefined && text.includes('listening')) break
      continue
    }
    const line = JSON.parse(text) as LogLine
    const at = Date.parse(line.time ?? '')
    if (line.msg === 'shutting down') started = at
    else if (started !== undefined && line.msg === 'request') {
      lines.push(line)
      last = at
    }
  }
  return { lines, tookMs: started === undefined ? Number.NaN : Math.max(0, last - started) }
}

afterAll(async () => {
  if (server?.pid() !== undefined) await server.stop()
})

/** Whether an SDK failure is one an app may retry: no answer, a 5xx, or a retryable AuthError. */
function isRetryable(error: unknown): boolean {
  if (isAuthError(error)) return error.retryable
  if (isAxiosError(error)) return error.response === undefined || error.response.status >= 500
  return false
}

describe('server restart under load', () => {
  it('finishes in-flight requests, loses no session, and SDK users never notice', async () => {
    const usernames = Array.from({ length: 4 }, (_, i) => uniqueUsername('restart', i))
    const sessions = await openSessions(server.url, usernames, RAW_LOOPS / usernames.length)
    const clients: AuthClient[] = []
    const signOuts: string[] = []
    let clockAheadMs = 0
    const sdkNow = () => Date.now() + clockAheadMs
    for (let i = 0; i < SDK_CLIENTS; i++) {
      const auth = createAuthClient({ baseURL: server.url, storage: memoryStorage(), now: sdkNow })
      auth.on('sessionExpired', (error) => signOuts.push(`client ${i}: ${error.code}`))
      auth.on('logout', () => signOuts.push(`client ${i}: logout`))
      await auth.login({ username: usernames[i % usernames.length] as string, password: PASSWORD })
      clients.push(auth)
    }
    let sdkRefreshes = 0
    for (const auth of clients) {
      auth.on('refresh', (event) => {
        if (event.phase === 'success') sdkRefreshes += 1
      })
    }

    const agent = keepAliveAgent(RAW_LOOPS * 2)
    const stop = new AbortController()
    const sdkFailures: { startedAt: number; retryable: boolean; what: string }[] = []
    const raw = runLoad(
      async (worker, index) => {
        const session = sessions[worker] as Session
        const sample =
          index % 4 === 0
            ? await refreshOnce(server.url, session, { agent })
            : await meOnce(server.url, session, { agent })
        if (sample.status === 0) await sleep(20)
        return sample
      },
      { concurrency: RAW_LOOPS, signal: stop.signal },
    )
    const sdk = runLoad(
      async (worker): Promise<Sample> => {
        const auth = clients[worker % SDK_CLIENTS] as AuthClient
        const startedAt = performance.now()
        try {
          const res = await auth.http.get(ROUTES.me)
          return { kind: 'sdk', status: res.status, startedAt, ms: performance.now() - startedAt }
        } catch (error) {
          sdkFailures.push({
            startedAt,
            retryable: isRetryable(error),
            what: isAuthError(error) ? error.code : String(error),
          })
          await sleep(20)
          return { kind: 'sdk', status: 0, startedAt, ms: performance.now() - startedAt }
        }
      },
      { concurrency: SDK_CLIENTS * 2, signal: stop.signal },
    )

    clockAheadMs += AGE_TOKENS_MS
    await sleep(mode.restartLoadMs / 2)
    // Slow requests in flight when SIGTERM lands: each must still get its answer.
    const logins = Array.from({ length: IN_FLIGHT_LOGINS }, () =>
      httpRequest(`${server.url}${ROUTES.login}`, {
        method: 'POST',
        json: { username: usernames[0], password: PASSWORD },
        timeoutMs: 30_000,
      }).then((res) => ({ res, endedAt: performance.now() })),
    )
    await Promise.race(logins)
    const killedAt = performance.now()
    const exit = await server.stop('SIGTERM')
    const stoppedAt = performance.now()
    await server.start()
    const backAt = performance.now()
    clockAheadMs += AGE_TOKENS_MS
    await sleep(mode.restartLoadMs / 2)
    stop.abort()
    const samples = [...(await raw), ...(await sdk)]
    agent.destroy()
    const loginResults = await Promise.all(logins)
    const inFlight = loginResults.filter(({ endedAt }) => endedAt > killedAt)
    const inFlightOk = inFlight.filter(({ res }) => res.status === 200)

    // In-flight load requests too (reported; a keep-alive socket closed as idle at that very
    // moment may reset, which is why the assertion is on the logins above).
    const loadInFlight = samples.filter(
      (s) => s.kind !== 'sdk' && s.startedAt < killedAt && s.startedAt + s.ms > killedAt,
    )
    const afterRestart = samples.filter((s) => s.startedAt > backAt + 500)
    const afterFailures = afterRestart.filter((s) => s.status !== 200)
    const sdkWindowFailures = sdkFailures.filter((f) => f.startedAt >= killedAt)
    const sdkNotRetryable = sdkFailures.filter((f) => !f.retryable)

    // Every session and every SDK user goes on as if nothing happened.
    const lost: string[] = []
    for (const session of sessions) {
      const res = await refreshOnce(server.url, session)
      if (res.status !== 200) lost.push(`${session.username}: ${res.status} ${res.error}`)
    }
    const finalRound: unknown[] = []
    for (const auth of clients) {
      for (let i = 0; i < 5; i++) {
        await auth.http.get(ROUTES.me).then(
          (res) => finalRound.push(res.status),
          (error: unknown) => finalRound.push(isAuthError(error) ? error.code : String(error)),
        )
      }
    }
    const stored = await Promise.all(clients.map((auth) => auth.isAuthenticated()))

    recordFigure({
      name: 'restart: in-flight requests answered across SIGTERM',
      value: percent(inFlightOk.length, inFlight.length),
      unit: '%',
      goal: '100 %',
      detail: `logins ${inFlightOk.length}/${inFlight.length}; load requests in flight ${loadInFlight.filter((s) => s.status >= 200 && s.status < 300).length}/${loadInFlight.length}`,
    })
    recordFigure({
      name: 'restart: downtime from SIGTERM to healthy again',
      value: backAt - killedAt,
      unit: 'ms',
      goal: 'as short as a process start',
      detail: `graceful stop ${(stoppedAt - killedAt).toFixed(0)} ms, exit code ${exit.code}${
        exit.code === 0 ? '' : `: ${server.stderr().trim().split('\n').slice(-1)[0]}`
      }; logins answered at ${loginResults
        .map(({ res, endedAt }) => `${(endedAt - killedAt).toFixed(0)} ms ${res.status}`)
        .join(', ')}`,
    })
    const shutdown = shutdownLog(server.stdout())
    const slowestDuringShutdown = shutdown.lines.reduce(
      (slowest: LogLine | undefined, line) =>
        (line.ms ?? 0) > (slowest?.ms ?? -1) ? line : slowest,
      undefined,
    )
    recordFigure({
      name: 'restart: requests the server answered while shutting down',
      value: shutdown.lines.length,
      unit: 'requests',
      goal: 'every one in flight, then exit',
      detail: `the last ${shutdown.tookMs} ms after SIGTERM; slowest ${slowestDuringShutdown?.method} ${slowestDuringShutdown?.path} ${slowestDuringShutdown?.status} in ${slowestDuringShutdown?.ms} ms`,
    })
    recordFigure({
      name: 'restart: sessions lost',
      value: lost.length,
      unit: 'sessions',
      goal: '0',
      detail: `of ${sessions.length} raw sessions and ${clients.length} SDK clients`,
    })
    recordFigure({
      name: 'restart: SDK failures during the restart that were not retryable',
      value: sdkNotRetryable.length,
      unit: '',
      goal: '0',
      detail: `${sdkWindowFailures.length} retryable failures while the server was down; ${sdkRefreshes} SDK refreshes; sign-outs ${signOuts.length}`,
    })
    recordFigure({
      name: 'restart: requests failing after the restart',
      value: afterFailures.length,
      unit: '',
      goal: '0',
      detail: `of ${afterRestart.length}`,
    })

    expect(inFlight.length).toBeGreaterThan(0)
    expect(inFlight.map(({ res }: { res: HttpResult }) => res.status)).toEqual(
      inFlight.map(() => 200),
    )
    expect(exit).toEqual({ code: 0, signal: null })
    expect(sdkNotRetryable).toEqual([])
    expect(afterFailures).toEqual([])
    expect(lost).toEqual([])
    expect(finalRound).toEqual(finalRound.map(() => 200))
    expect(signOuts).toEqual([])
    expect(stored).toEqual(clients.map(() => true))
    expect(sdkRefreshes).toBeGreaterThan(0)
    expect(crashSigns(server.stdout() + server.stderr())).toEqual([])
  })

  it('exits 0 on SIGTERM while keep-alive clients keep sending (regression: connections busy at SIGTERM stayed open and kept being served until the 10 s shutdown timeout, exit 1)', async () => {
    const username = uniqueUsername('keepalive')
    await openSessions(server.url, [username], 0)
    const agent = keepAliveAgent(4)
    const stop = new AbortController()
    // Logins (scrypt) back to back on four kept-alive connections: each connection is busy
    // when SIGTERM lands, as on a loaded server.
    const load = runLoad(
      async () => {
        const startedAt = performance.now()
        const res = await httpRequest(`${server.url}${ROUTES.login}`, {
          method: 'POST',
          json: { username, password: PASSWORD },
          agent,
          timeoutMs: 30_000,
        })
        if (res.status === 0) await sleep(20)
        return { kind: 'login', status: res.status, startedAt, ms: res.ms }
      },
      { concurrency: 4, signal: stop.signal },
    )
    await sleep(1_000)
    const killedAt = performance.now()
    const exit = await server.stop('SIGTERM', 20_000)
    const stoppedMs = performance.now() - killedAt
    stop.abort()
    const samples = await load
    agent.destroy()
    const answeredAfter = samples.filter((s) => s.startedAt > killedAt && s.status !== 0).length
    await server.start()
    recordFigure({
      name: 'restart: SIGTERM to exit under keep-alive load',
      value: stoppedMs,
      unit: 'ms',
      goal: 'exit 0 once the in-flight requests are answered',
      detail: `exit code ${exit.code}; ${answeredAfter} requests sent after SIGTERM were still answered`,
    })
    expect(exit).toEqual({ code: 0, signal: null })
    // Requests sent after SIGTERM on kept-alive connections are what kept the server up. One
    // per connection is answered with `Connection: close`; a second can slip in while the
    // signal is still on its way to the server, so the bound is two per connection (before
    // the fix: 14 in 10 s, then exit 1).
    expect(answeredAfter).toBeLessThanOrEqual(8)
  })
})
