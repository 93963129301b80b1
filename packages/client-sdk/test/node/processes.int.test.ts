import { type ChildProcess, fork } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  authSettingsOf,
  createAbuseLimits,
  createApp,
  createAuthEvents,
  createAuthService,
  createPasswordHasher,
  createRedisStore,
  createTokenKeys,
  DEFAULT_ABUSE_LIMIT_RULES,
  loadConfig,
  type RefreshOutcome,
} from '@refresh-kit/server'
import { useTestRedis } from '@refresh-kit/testing'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuthClient } from '../../src/axios/client.js'
import { fileStorage } from '../../src/storage/file-storage.js'
import type { WorkerReport } from './fixtures/session-worker.js'

const redis = useTestRedis('sdk-processes')

const ACCESS_TOKEN_TTL_S = 2
// Each token is used until half a second before it expires: a refresh is due every 1.5 s.
const LEEWAY_S = 0.5
const TOKEN_USE_MS = (ACCESS_TOKEN_TTL_S - LEEWAY_S) * 1000
// The lock library's floor, for the runs that kill a holder: it blocks the others this long.
const STALE_MS = 2000
// The default, for the runs that kill nobody: a holder starved by a loaded machine keeps its lock.
const DEFAULT_STALE_MS = 10_000

const outcomes: Record<RefreshOutcome, number> = { rotated: 0, grace: 0, reused: 0, invalid: 0 }
let service: ReturnType<typeof createAuthService>
let server: Server
let baseURL: string
let directory: string
let workerScript: string
// Takes the next refresh request instead of the server, once.
let takeNextRefresh: ((request: IncomingMessage, response: ServerResponse) => void) | undefined

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'refresh-kit-processes-'))
  workerScript = join(directory, 'session-worker.cjs')
  // The worker runs the SDK's sources; CommonJS, so the lock library's `require`s work bundled.
  await build({
    entryPoints: [fileURLToPath(new URL('./fixtures/session-worker.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: workerScript,
    conditions: ['@refresh-kit/source'],
    logLevel: 'error',
  })
  const store = createRedisStore({ redis: redis.client(), keyPrefix: redis.keyPrefix })
  const events = createAuthEvents()
  events.on('refresh', ({ outcome }) => {
    outcomes[outcome] += 1
  })
  service = createAuthService({
    ...authSettingsOf(loadConfig({})),
    store,
    events,
    keys: createTokenKeys({ jwtSecret: 'sdk-processes-secret-0123456789abcdefghijklmnopqrstuv' }),
    passwords: createPasswordHasher({ cost: 2 ** 10 }),
    accessTokenTtlSeconds: ACCESS_TOKEN_TTL_S,
    limits: createAbuseLimits({
      rules: {
        ...DEFAULT_ABUSE_LIMIT_RULES,
        registrationsPerAddress: { points: 0, durationSeconds: 3600 },
        loginAttemptsPerAddress: { points: 0, durationSeconds: 60 },
      },
    }),
  })
  const callback = createApp({ auth: service, store }).callback()
  server = createServer((request, response) => {
    const take = takeNextRefresh
    if (take !== undefined && request.method === 'POST' && request.url === '/auth/refresh') {
      takeNextRefresh = undefined
      take(request, response)
      return
    }
    callback(request, response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
  if (directory !== undefined) await rm(directory, { recursive: true, force: true })
})

let sessions = 0
/** Signs a new user in, the tokens going to a new file; returns its path. */
async function signedInFile(): Promise<string> {
  sessions += 1
  const path = join(directory, `session-${sessions}`, 'tokens.json')
  const storage = fileStorage({ path })
  const auth = createAuthClient({ baseURL, storage, coordinator: storage.coordinator })
  const credentials = {
    username: `pool.${sessions}.${Date.now()}`,
    password: 'correct horse battery',
  }
  await auth.register(credentials)
  await auth.login(credentials)
  return path
}

interface PoolRun {
  /** What each worker that finished reported. */
  reports: WorkerReport[]
  /** Workers that exited without reporting (killed). */
  killed: string[]
  elapsedMs: number
  children: Map<string, ChildProcess>
}

function runPool(
  path: string,
  count: number,
  durationMs: number,
  started?: (children: Map<string, ChildProcess>) => void,
): Promise<PoolRun> {
  const staleMs = started === undefined ? DEFAULT_STALE_MS : STALE_MS
  const begin = Date.now()
  const children = new Map<string, ChildProcess>()
  const reports: WorkerReport[] = []
  const killed: string[] = []
  const exits: Promise<void>[] = []
  for (let n = 0; n < count; n++) {
    const worker = String(n)
    const child = fork(workerScript, [], {
      env: {
        ...process.env,
        WORKER_ID: worker,
        BASE_URL: baseURL,
        TOKEN_FILE: path,
        STALE_MS: String(staleMs),
        LEEWAY_SECONDS: String(LEEWAY_S),
        DURATION_MS: String(durationMs),
        INTERVAL_MS: '20',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    children.set(worker, child)
    let reported = false
    child.on('message', (message: { type: string; report?: WorkerReport }) => {
      if (message.type === 'done' && message.report !== undefined) {
        reported = true
        reports.push(message.report)
      }
    })
    exits.push(
      new Promise((resolve) =>
        child.once('exit', () => {
          if (!reported) killed.push(worker)
          resolve()
        }),
      ),
    )
  }
  started?.(children)
  return Promise.all(exits).then(() => ({
    reports,
    killed,
    elapsedMs: Date.now() - begin,
    children,
  }))
}

const sum = (reports: WorkerReport[], field: 'answered' | 'failed' | 'sessionExpired') =>
  reports.reduce((total, report) => total + report[field], 0)

function snapshot() {
  return { ...outcomes }
}

function since(before: Record<RefreshOutcome, number>) {
  return {
    rotated: outcomes.rotated - before.rotated,
    grace: outcomes.grace - before.grace,
    reused: outcomes.reused - before.reused,
    invalid: outcomes.invalid - before.invalid,
  }
}

/** Reads the refresh request's body, then SIGKILLs the worker that sent it and waits for its end. */
async function killSender(
  request: IncomingMessage,
  children: Map<string, ChildProcess>,
): Promise<{ worker: string; refreshToken: string }> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const { refreshToken } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    refreshToken: string
  }
  const worker = String(request.headers['x-worker'])
  const child = children.get(worker)
  if (child === undefined) throw new Error(`no worker ${worker}`)
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
  return { worker, refreshToken }
}

describe('processes sharing one fileStorage against the real server and Redis', () => {
  it('six processes make one refresh per token lifetime, never a reuse, and every request is answered', async () => {
    const path = await signedInFile()
    const before = snapshot()
    const run = await runPool(path, 6, 10_000)
    const seen = since(before)
    const lifetimes = run.elapsedMs / TOKEN_USE_MS
    // Every refresh request the server answered, whatever its outcome.
    const refreshes = seen.rotated + seen.grace + seen.reused + seen.invalid
    const requests = sum(run.reports, 'answered') + sum(run.reports, 'failed')
    console.log(
      `6 processes, ${(run.elapsedMs / 1000).toFixed(1)} s (${lifetimes.toFixed(1)} token lifetimes of ${TOKEN_USE_MS} ms): ` +
        `${refreshes} refreshes reached the server (${(refreshes / lifetimes).toFixed(2)} per lifetime): ` +
        `${seen.rotated} rotated, ${seen.grace} grace, ${seen.reused} reused; ${requests} requests, ${sum(run.reports, 'failed')} failed`,
      run.reports.flatMap((report) => report.failures),
    )
    expect(run.killed).toEqual([])
    expect(run.reports).toHaveLength(6)
    expect(sum(run.reports, 'failed')).toBe(0)
    expect(sum(run.reports, 'sessionExpired')).toBe(0)
    expect(sum(run.reports, 'answered')).toBeGreaterThan(6 * 10)
    // At most one refresh per lifetime, plus the one in flight when the run ended.
    expect(seen.rotated).toBeGreaterThanOrEqual(2)
    expect(refreshes).toBeLessThanOrEqual(Math.ceil(lifetimes) + 1)
    expect(seen.grace).toBe(0)
    expect(seen.reused).toBe(0)
    expect(seen.invalid).toBe(0)
  }, 120_000)

  /**
   * Runs four processes on one file and SIGKILLs the one whose refresh reaches the server
   * first, letting `afterKill` decide what the server does with that refresh. Whatever it does,
   * the other three keep every request answered and nobody is signed out.
   */
  async function killOneRefreshing(
    what: string,
    afterKill: (refreshToken: string) => Promise<unknown>,
  ): Promise<ReturnType<typeof since>> {
    const path = await signedInFile()
    const before = snapshot()
    let victim: string | undefined
    let taken: Promise<void> | undefined
    const run = await runPool(path, 4, 9_000, (children) => {
      takeNextRefresh = (request, response) => {
        taken = killSender(request, children).then(async ({ worker, refreshToken }) => {
          victim = worker
          await afterKill(refreshToken)
          response.destroy()
        })
      }
    })
    await taken
    const seen = since(before)
    console.log(
      `killed worker ${victim} ${what}: ${seen.rotated} refreshes, ${seen.grace} grace, ${seen.reused} reused; ` +
        `${sum(run.reports, 'answered')} requests answered, ${sum(run.reports, 'failed')} failed`,
      run.reports.flatMap((report) => report.failures),
    )
    expect(victim).toBeDefined()
    expect(run.killed).toEqual([victim])
    expect(run.reports).toHaveLength(3)
    expect(sum(run.reports, 'failed')).toBe(0)
    expect(sum(run.reports, 'sessionExpired')).toBe(0)
    expect(seen.reused).toBe(0)
    expect(seen.invalid).toBe(0)
    return seen
  }

  it('a process SIGKILLed while it holds the lock, before the server saw its refresh, signs nobody out', async () => {
    const seen = await killOneRefreshing('holding the lock', async () => undefined)
    // Another process took the stale lock over and refreshed for everyone.
    expect(seen.rotated).toBeGreaterThanOrEqual(1)
  }, 120_000)

  it('a process SIGKILLed while its refresh is in flight (rotated, answer lost) signs nobody out: the next one is answered from the grace window', async () => {
    // The server rotates as it would have; the answer has nobody to reach.
    const seen = await killOneRefreshing('with its refresh in flight', (refreshToken) =>
      service.refresh(refreshToken),
    )
    // The lost rotation's token came back once, inside the grace window, and got its successor.
    expect(seen.grace).toBeGreaterThanOrEqual(1)
  }, 120_000)
})
