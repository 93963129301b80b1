import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { freePort } from '@refresh-kit/testing'

const packageDir = fileURLToPath(new URL('../../', import.meta.url))

/** A token server running as its own process, as it runs in production. */
export interface ServerProcess {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** Everything the process printed, for failure messages. */
  output(): string
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
  stop(): Promise<void>
}

/** Options of {@link startServerProcess}. */
export interface ServerProcessOptions {
  /** Environment of the server, on top of `PATH` and `HOME` only. */
  env: Record<string, string>
  /** A name in failure messages. */
  name: string
  /** How long to wait for `/readyz` to answer 200, in ms. @default 45_000 */
  readyTimeout?: number
}

const running = new Set<ChildProcess>()
// A worker that dies before afterAll still takes its servers with it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

async function isReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) })
    await response.body?.cancel()
    return response.status === 200
  } catch {
    return false
  }
}

/**
 * Runs `src/main.ts` through tsx (no build needed) on a free port, with only the given
 * environment, and resolves once `/readyz` answers 200, that is once its store answers.
 *
 * @example
 * ```ts
 * const server = await startServerProcess({ name: 'a', env: { JWT_SECRET, REDIS_URL } })
 * await fetch(`${server.url}/healthz`)
 * await server.stop()
 * ```
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const readyTimeout = options.readyTimeout ?? 45_000
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  // Sources, not dist: the `@refresh-kit/source` condition resolves workspace packages to src.
  const child = spawn(
    process.execPath,
    ['--conditions=@refresh-kit/source', '--import', 'tsx', 'src/main.ts'],
    {
      cwd: packageDir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...options.env,
        PORT: String(port),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  running.add(child)
  let output = ''
  const append = (chunk: Buffer) => {
    // Bounded: a chatty server must not grow the test's memory.
    output = (output + chunk.toString()).slice(-20_000)
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  child.once('error', (error) => {
    output += `\n${error.message}`
  })
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child)
      resolve()
    })
  })

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }

  const deadline = Date.now() + readyTimeout
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server ${options.name} exited (${child.exitCode}) before ready:\n${output}`)
    }
    if (await isReady(url)) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`server ${options.name} was not ready in ${readyTimeout} ms:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return { url, output: () => output, stop }
}
