import { type ChildProcess, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { SERVER_MAIN } from './paths.js'

// USER_HZ: the unit of utime and stime in /proc/<pid>/stat on every Linux architecture Node runs on.
const CLOCK_TICKS_PER_SECOND = 100

/** CPU seconds (user + system) of a process, or `null` without procfs. */
export async function processCpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const utime = Number(fields[11])
    const stime = Number(fields[12])
    return Number.isFinite(utime + stime) ? (utime + stime) / CLOCK_TICKS_PER_SECOND : null
  } catch {
    return null
  }
}

/** The token server running in a child process. */
export interface ServerProcess {
  readonly url: string
  readonly pid: number
  /**
   * CPU seconds (user + system) the server process has used so far, from `/proc/<pid>/stat`;
   * `null` where there is no procfs. Unlike req/s, it does not move when other processes
   * take the cores.
   */
  cpuSeconds(): Promise<number | null>
  /** SIGTERM, then waits for the exit (the server drains and, under `--cpu-prof`, writes its profile). */
  stop(): Promise<void>
}

/** Options of {@link startServerProcess}. */
export interface ServerProcessOptions {
  /** Environment of the server, on top of `PATH` and `HOME`. */
  env: Record<string, string>
  /** `--cpu-prof` into this folder when set. @default null */
  cpuProfileDir?: string | null
  /**
   * The entry file to run instead of `packages/server/dist/main.js`: a variant that builds
   * the server differently, to measure a candidate change before it is made. A `.ts` entry
   * runs under tsx. @default the server's dist/main.js
   */
  entry?: string
  /** Give up when the server has not printed its listening line after this long. @default 20000 */
  startTimeoutMs?: number
}

/**
 * Starts `node packages/server/dist/main.js` and resolves once it prints the line it prints
 * when it listens, with the URL from that line.
 *
 * @example
 * ```ts
 * const server = await startServerProcess({ env: { PORT: '0', HOST: '127.0.0.1', ... } })
 * await server.stop()
 * ```
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const profile =
    options.cpuProfileDir === null || options.cpuProfileDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]
  const entry = options.entry ?? SERVER_MAIN
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : []
  const child: ChildProcess = spawn(process.execPath, [...profile, ...loader, entry], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the token server did not start in time:\n${output}`))
    }, options.startTimeoutMs ?? 20_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the token server exited with code ${code}:\n${output}`))
    })
  })
  // Keep draining its output so a chatty log level never blocks the server on a full pipe.
  child.stdout?.resume()
  child.stderr?.resume()
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const pid = child.pid ?? -1
  return {
    url,
    pid,
    cpuSeconds: () => processCpuSeconds(pid),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    },
  }
}
