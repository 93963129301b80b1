import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@refresh-kit/testing'
import { httpRequest } from './http.js'
import { sleep } from './stats.js'

/** The built token server that `pnpm test:reliability` builds before the suite runs. */
export const SERVER_MAIN = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'packages',
  'server',
  'dist',
  'main.js',
)

/** How one run of the server process ended. */
export interface ServerExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** Options of {@link startServerProcess}. */
export interface ServerProcessOptions {
  /** Environment of the server on top of the defaults below (PORT, HOST, JWT_SECRET, LOG_LEVEL, per-address limits off). */
  env?: Record<string, string>
  /** Port to listen on, kept across restarts. @default a free port */
  port?: number
  /** How long to wait for `/healthz` after spawning, in ms. @default 20_000 */
  readyTimeoutMs?: number
}

/** The token server as a child process that a test stops and starts again. */
export interface ServerProcess {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  readonly port: number
  /** The JWT secret it signs with. */
  readonly jwtSecret: string
  /** The pid of the current run, or `undefined` while stopped. */
  pid(): number | undefined
  /** Everything the server wrote to stdout, every run included. */
  stdout(): string
  /** Everything the server wrote to stderr, every run included. */
  stderr(): string
  /** How every finished run ended, oldest first. */
  exits(): readonly ServerExit[]
  /** Resident set size of the current run, in bytes (Linux `/proc`). */
  rssBytes(): Promise<number>
  /** Spawns it again on the same port and waits until `/healthz` answers. */
  start(): Promise<void>
  /** Sends `signal` (default SIGTERM) and waits for the process to exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ServerExit>
}

/** Signs of a crash or an unhandled rejection in a server's output. */
const CRASH_PATTERN =
  /unhandled ?rejection|uncaught ?exception|UnhandledPromiseRejection|ERR_UNHANDLED_REJECTION|FATAL ERROR|Segmentation fault/i

/**
 * The lines of a server's output that tell of a crash or an unhandled rejection.
 *
 * @example
 * ```ts
 * expect(crashSigns(server.stderr() + server.stdout())).toEqual([])
 * ```
 */
export function crashSigns(output: string): string[] {
  return output.split('\n').filter((line) => CRASH_PATTERN.test(line))
}

/**
 * Spawns `node packages/server/dist/main.js` on a free loopback port with a random 48-byte
 * JWT secret, and resolves once `/healthz` answers 200.
 *
 * @throws Error when the server is not built, exits during start, or is not healthy in time.
 * @example
 * ```ts
 * const server = await startServerProcess({ env: { REDIS_URL: redis.url, TOKEN_STORE: 'redis' } })
 * await server.stop()
 * ```
 */
export async function startServerProcess(
  options: ServerProcessOptions = {},
): Promise<ServerProcess> {
  if (!existsSync(SERVER_MAIN)) {
    throw new Error(
      `${SERVER_MAIN} does not exist: build the server first (pnpm test:reliability builds it).`,
    )
  }
  const port = options.port ?? (await freePort())
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000
  const jwtSecret = randomBytes(48).toString('base64url')
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    JWT_SECRET: jwtSecret,
    LOG_LEVEL: 'warn',
    // The load parts send everything from one address: the per-address login and
    // registration limits are off unless a part sets them.
    LOGIN_RATE_LIMIT: '0',
    REGISTER_RATE_LIMIT: '0',
    ...options.env,
  }
  const url = `http://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  let exited: Promise<ServerExit> | undefined
  let stdout = ''
  let stderr = ''
  const exits: ServerExit[] = []

  const start = async () => {
    if (child !== undefined) throw new Error('the server is already running')
    const next = spawn(process.execPath, [SERVER_MAIN], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = next
    next.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    next.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    exited = new Promise((resolve) => {
      next.once('exit', (code, signal) => {
        const exit = { code, signal }
        exits.push(exit)
        if (child === next) child = undefined
        resolve(exit)
      })
    })
    const deadline = Date.now() + readyTimeoutMs
    while (Date.now() < deadline) {
      if (child !== next) {
        throw new Error(`the server exited during start:\n${stderr}\n${stdout}`)
      }
      const health = await httpRequest(`${url}/healthz`, { timeoutMs: 1_000 })
      if (health.status === 200) return
      await sleep(50)
    }
    next.kill('SIGKILL')
    throw new Error(`the server did not answer /healthz within ${readyTimeoutMs} ms:\n${stderr}`)
  }

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000) => {
    const current = child
    const done = exited
    if (current === undefined || done === undefined) {
      throw new Error('the server is not running')
    }
    current.kill(signal)
    const timer = setTimeout(() => current.kill('SIGKILL'), timeoutMs)
    try {
      return await done
    } finally {
      clearTimeout(timer)
    }
  }

  await start()
  return {
    url,
    port,
    jwtSecret,
    pid: () => child?.pid,
    stdout: () => stdout,
    stderr: () => stderr,
    exits: () => exits,
    rssBytes: async () => {
      const pid = child?.pid
      if (pid === undefined) throw new Error('the server is not running')
      const status = await readFile(`/proc/${pid}/status`, 'utf8')
      const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)
      if (match?.[1] === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`)
      return Number(match[1]) * 1024
    },
    start,
    stop,
  }
}
