import {
  type AuthClient,
  createAuthClient,
  isAuthError,
  memoryStorage,
  type StoredTokens,
} from '@refresh-kit/client-sdk'
import { ROUTES } from '@refresh-kit/shared'
import axios from 'axios'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD } from '../src/accounts.js'
import { type FaultProxy, type RefreshFault, startFaultProxy } from '../src/fault-proxy.js'
import { recordFigure } from '../src/figures.js'
import { httpRequest } from '../src/http.js'
import { type InProcessServer, startInProcessServer } from '../src/in-process.js'
import { runMode } from '../src/mode.js'
import { maximum, sleep } from '../src/stats.js'

const mode = runMode()
// One refresh in three is faulty, the kinds in turn: 15 rounds meet each kind once; the full run three times.
const ROUNDS = mode.full ? 45 : 16
/** The SDK's refresh timeout in this test; a stalled refresh is held for three times as long. */
const REFRESH_TIMEOUT_MS = 1_000
/** The axios timeout of every ordinary request. */
const REQUEST_TIMEOUT_MS = 5_000
/**
 * The longest a request may take: a refresh and its own request, then, if that answers 401,
 * one more refresh and the replay; plus slack for a loaded machine.
 */
const BOUND_MS = 2 * (REFRESH_TIMEOUT_MS + REQUEST_TIMEOUT_MS) + 2_000
/** Beyond this a request is counted as hung. */
const HANG_MS = 30_000
const BACKOFF = { initialMs: 50, maxMs: 200 }
const FAULTS: readonly RefreshFault[] = ['drop', 'error', 'stall', 'lose', 'slow']

let app: InProcessServer
let proxy: FaultProxy

beforeAll(async () => {
  // A one-second access token: the SDK refreshes before every round of requests.
  app = await startInProcessServer({ accessTokenTtlSeconds: 1 })
  // Every other refresh meets a fault, taking each kind in turn: all of them within the first
  // ten refreshes, which even a short run (and the SDK's immediate retries) always reaches.
  proxy = await startFaultProxy({
    upstream: app.url,
    faultFor: (n) =>
      n % 2 === 1 ? (FAULTS[Math.floor(n / 2) % FAULTS.length] as RefreshFault) : 'pass',
    slowMs: 300,
    stallMs: REFRESH_TIMEOUT_MS * 3,
  })
  await httpRequest(`${app.url}${ROUTES.register}`, {
    method: 'POST',
    json: { username: 'grace-faults', password: PASSWORD },
  })
})

afterAll(async () => {
  await proxy?.close()
  await app?.close()
})

type Outcome =
  | { ok: true; ms: number }
  | { ok: false; ms: number; code: string; retryable: boolean }

async function oneRequest(auth: AuthClient): Promise<Outcome> {
  const started = performance.now()
  let guard: ReturnType<typeof setTimeout> | undefined
  const hung = new Promise<Outcome>((resolve) => {
    guard = setTimeout(
      () => resolve({ ok: false, ms: HANG_MS, code: 'hung', retryable: false }),
      HANG_MS,
    )
  })
  const done = auth.http.get(ROUTES.me).then(
    (): Outcome => ({ ok: true, ms: performance.now() - started }),
    (error: unknown): Outcome => ({
      ok: false,
      ms: performance.now() - started,
      code: isAuthError(error) ? error.code : String(error),
      retryable: isAuthError(error) && error.retryable,
    }),
  )
  try {
    return await Promise.race([done, hung])
  } finally {
    clearTimeout(guard)
  }
}

describe('the SDK against a faulty token server', () => {
  it('never hangs, never drops the tokens on a transient failure, and keeps one refresh in flight', async () => {
    const storage = memoryStorage()
    const auth = createAuthClient({
      baseURL: proxy.url,
      axios: axios.create({ baseURL: proxy.url, timeout: REQUEST_TIMEOUT_MS }),
      storage,
      refreshTimeoutMs: REFRESH_TIMEOUT_MS,
      backoff: BACKOFF,
    })
    const cleared: string[] = []
    auth.on('tokens', (tokens: StoredTokens | null) => {
      if (tokens === null) cleared.push('tokens event with null')
    })
    auth.on('sessionExpired', (error) => cleared.push(`sessionExpired: ${error.code}`))
    auth.on('logout', () => cleared.push('logout'))
    let transientFailures = 0
    auth.on('refreshFailed', () => {
      transientFailures += 1
    })
    await auth.login({ username: 'grace-faults', password: PASSWORD })

    const outcomes: Outcome[] = []
    const storageLost: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      outcomes.push(
        ...(await Promise.all(Array.from({ length: mode.faultRequests }, () => oneRequest(auth)))),
      )
      if ((await storage.get()) === null) storageLost.push(round)
      // Past the backoff, so the next round refreshes again instead of failing fast.
      await sleep(BACKOFF.maxMs + 50)
    }

    // Faults off: every request of a last round succeeds, on the same session.
    proxy.setFaultFor(() => 'pass')
    await sleep(BACKOFF.maxMs + 50)
    const finalRound = await Promise.all(
      Array.from({ length: mode.faultRequests }, () => oneRequest(auth)),
    )

    const failures = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok)
    const notRetryable = failures.filter((f) => !f.retryable)
    const hung = outcomes.filter((o) => o.ms >= HANG_MS).length
    const slowest = maximum([...outcomes, ...finalRound].map((o) => o.ms))
    const { faults } = proxy.stats

    recordFigure({
      name: 'SDK faults: requests sent through the faulty server',
      value: outcomes.length,
      unit: 'requests',
      goal: `${mode.faultRequests} concurrent per round`,
      detail: `${ROUNDS} rounds; ${outcomes.length - failures.length} succeeded, ${failures.length} failed retryable; refreshes ${proxy.stats.refreshes} with faults drop ${faults.drop}, 500 ${faults.error}, stall ${faults.stall}, lost answer ${faults.lose}, slow ${faults.slow}; ${transientFailures} transient refresh failures`,
    })
    recordFigure({
      name: 'SDK faults: requests that hung past their bound',
      value: outcomes.filter((o) => o.ms > BOUND_MS).length,
      unit: '',
      goal: '0',
      detail: `slowest ${slowest.toFixed(0)} ms; bound ${BOUND_MS} ms; hung ${hung}`,
    })
    recordFigure({
      name: 'SDK faults: tokens cleared on a transient error',
      value: cleared.length + storageLost.length,
      unit: '',
      goal: '0',
    })
    recordFigure({
      name: 'SDK faults: most refreshes in flight at once (server side)',
      value: proxy.stats.maxUpstreamRefreshes,
      unit: '',
      goal: '1',
      detail: `open at the proxy ${proxy.stats.maxOpenRefreshes}, at the token server ${proxy.stats.maxUpstreamRefreshes}`,
    })
    recordFigure({
      name: 'SDK faults: requests succeeding once the faults stop',
      value: finalRound.filter((o) => o.ok).length,
      unit: 'requests',
      goal: `${mode.faultRequests} of ${mode.faultRequests}`,
    })

    // The faults really happened, each kind of them.
    for (const fault of FAULTS) expect(faults[fault], fault).toBeGreaterThan(0)
    expect(transientFailures).toBeGreaterThan(0)
    expect(hung).toBe(0)
    expect(slowest).toBeLessThanOrEqual(BOUND_MS)
    expect(notRetryable.map((f) => f.code)).toEqual([])
    expect(cleared).toEqual([])
    expect(storageLost).toEqual([])
    // A refresh that got no answer is given up (its request aborted) and retried at once, so
    // the proxy may see the retry arrive before the abort of the first: at most two there,
    // and never two at the token server.
    expect(proxy.stats.maxOpenRefreshes).toBeLessThanOrEqual(2)
    expect(proxy.stats.maxUpstreamRefreshes).toBe(1)
    expect(finalRound.filter((o) => !o.ok)).toEqual([])
  })
})
