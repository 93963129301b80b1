/**
 * `pnpm demo:node`: the client SDK in Node, four processes sharing one session. The first
 * signs in with `fileStorage` (a token file in a temporary directory) and starts four worker
 * processes of this same script; each calls `/auth/me` across several access-token lifetimes
 * (3 s here) and prints every refresh it makes or waits for, naming the process. One process
 * refreshes per lifetime; the others adopt its tokens from the file. It starts its own token
 * server (the built main, in-memory store) unless DEMO_SERVER_URL points at one.
 */
import { fork } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAuthClient } from '@refresh-kit/client-sdk'
import { fileStorage } from '@refresh-kit/client-sdk/node'
import { ROUTES } from '@refresh-kit/shared'
import axios from 'axios'
import { DEMO_USER } from '../demo-config.js'
import { seedUser } from './seed.js'
import { startTokenServer, type TokenServerProcess } from './token-server-process.js'

const PROCESSES = ['A', 'B', 'C', 'D']
const ACCESS_TOKEN_TTL = 3
const LEEWAY_SECONDS = 1
/** Four lifetimes of the token as used: refreshed each time one second before it expires. */
const RUN_MS = 4 * (ACCESS_TOKEN_TTL - LEEWAY_SECONDS) * 1000
const REQUEST_EVERY_MS = 200
// The workers stamp their lines from the parent's start, so the four outputs interleave in order.
const started = Number(process.env.DEMO_STARTED ?? Date.now())
const stamp = () => `+${((Date.now() - started) / 1000).toFixed(2).padStart(6)} s`
const generation = (refreshToken: string) => refreshToken.split('.')[3] ?? '?'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** What a worker tells the first process when it is done. */
interface WorkerReport {
  name: string
  requests: number
  answered: number
  refreshed: number
  adopted: number
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

/** One of the four: its own client on the shared file. */
async function worker(name: string, apiUrl: string, path: string): Promise<void> {
  const say = (line: string) => console.log(`${stamp()}  [${name}] ${line}`)
  const storage = fileStorage({ path })
  let sentRefresh = false
  const http = axios.create({ baseURL: apiUrl })
  // Before the client's interceptors: this one sees each request as it leaves.
  http.interceptors.request.use((config) => {
    if (config.url?.endsWith(ROUTES.refresh)) sentRefresh = true
    return config
  })
  const auth = createAuthClient({
    baseURL: apiUrl,
    axios: http,
    storage,
    coordinator: storage.coordinator,
    leewaySeconds: LEEWAY_SECONDS,
  })
  const report: WorkerReport = { name, requests: 0, answered: 0, refreshed: 0, adopted: 0 }
  auth.on('refresh', (event) => {
    if (event.phase === 'start') {
      sentRefresh = false
      return
    }
    const to = `generation ${generation(event.tokens.refreshToken)}`
    if (sentRefresh) {
      report.refreshed += 1
      say(`↻ process ${name} refreshed: ${to}, written to the file for all`)
    } else {
      report.adopted += 1
      say(`  process ${name} waited for the lock and took ${to} from the file`)
    }
  })
  auth.on('sessionExpired', (error) => say(`✗ session expired (${error.code})`))

  const deadline = Number(process.env.DEMO_UNTIL)
  say(`process ${name} (pid ${process.pid}) calls GET /auth/me every ${REQUEST_EVERY_MS} ms`)
  while (Date.now() < deadline) {
    report.requests += 1
    const answer = await auth.http.get(ROUTES.me).catch((error: unknown) => error)
    if (!axios.isAxiosError(answer) && !(answer instanceof Error)) report.answered += 1
    else say(`✗ GET /auth/me failed: ${(answer as Error).message}`)
    await sleep(REQUEST_EVERY_MS)
  }
  process.send?.(report, () => process.exit(0))
}

function runWorker(
  name: string,
  apiUrl: string,
  path: string,
  until: number,
): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    // This same script, in worker mode.
    const child = fork(process.argv[1] ?? '', [], {
      env: {
        ...process.env,
        DEMO_WORKER: name,
        DEMO_API_URL: apiUrl,
        DEMO_TOKEN_FILE: path,
        DEMO_STARTED: String(started),
        DEMO_UNTIL: String(until),
      },
    })
    let report: WorkerReport | undefined
    child.on('message', (message: WorkerReport) => {
      report = message
    })
    child.once('error', reject)
    child.once('exit', (code) =>
      report === undefined
        ? reject(new Error(`process ${name} exited (${code})`))
        : resolve(report),
    )
  })
}

async function main(): Promise<void> {
  const say = (line: string) => console.log(`${stamp()}  ${line}`)
  let server: TokenServerProcess | undefined
  const external = process.env.DEMO_SERVER_URL
  const directory = await mkdtemp(join(tmpdir(), 'refresh-kit-demo-'))
  try {
    if (external === undefined || external === '') {
      server = await startTokenServer({
        port: await freePort(),
        env: {
          TOKEN_STORE: 'memory',
          ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL),
          LOG_LEVEL: 'warn',
        },
      })
      say(
        `token server started at ${server.url} (in-memory store, access tokens live ${ACCESS_TOKEN_TTL} s)`,
      )
    } else {
      say(`using the token server at ${external}`)
    }
    const apiUrl = server?.url ?? external ?? ''
    await seedUser(apiUrl, DEMO_USER)

    const path = join(directory, 'session', 'tokens.json')
    const storage = fileStorage({ path })
    const auth = createAuthClient({ baseURL: apiUrl, storage, coordinator: storage.coordinator })
    const tokens = await auth.login(DEMO_USER)
    const mode = ((await stat(path)).mode & 0o777).toString(8)
    say(
      `signed in as ${DEMO_USER.username}: refresh token generation ${generation(tokens.refreshToken)}, kept in ${path} (mode ${mode})`,
    )
    say(`${PROCESSES.length} processes share that file for ${RUN_MS / 1000} s`)

    // A second for the processes to start, then the run.
    const until = Date.now() + 1000 + RUN_MS
    const reports = await Promise.all(PROCESSES.map((name) => runWorker(name, apiUrl, path, until)))
    const requests = reports.reduce((total, report) => total + report.requests, 0)
    const answered = reports.reduce((total, report) => total + report.answered, 0)
    const refreshes = reports.reduce((total, report) => total + report.refreshed, 0)
    const made = reports.map((report) => `${report.name} ${report.refreshed}`).join(', ')
    say(
      `done: ${answered} of ${requests} requests answered 200; ${refreshes} refresh requests in ${RUN_MS / 1000} s, one per ${ACCESS_TOKEN_TTL - LEEWAY_SECONDS} s of token use (made by ${made}; the others read each from the file)`,
    )

    await auth.logout()
    say(
      `signed out: ${(await storage.get()) === null ? 'no tokens left in the file' : 'tokens left!'}`,
    )
  } finally {
    await server?.stop()
    await rm(directory, { recursive: true, force: true })
  }
}

const role = process.env.DEMO_WORKER
const run =
  role === undefined
    ? main()
    : worker(role, process.env.DEMO_API_URL ?? '', process.env.DEMO_TOKEN_FILE ?? '')
run.catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
