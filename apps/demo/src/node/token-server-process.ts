import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { waitForHealthy } from './seed.js'

/** The repository root, seen from `apps/demo/dist/node/*.js` (or `apps/demo/src/node/*.ts`). */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))

/** The built token server entry point. */
export const serverMain = fileURLToPath(
  new URL('packages/server/dist/main.js', `file://${repoRoot}`),
)

/** Options of {@link startTokenServer}. */
export interface TokenServerProcessOptions {
  port: number
  /** Environment of the server on top of this process's own (PORT and HOST are set here). */
  env: Record<string, string>
  /** Each line the server prints is written with this prefix. @default 'server │ ' */
  prefix?: string
  /** Called when the server exits without being asked to. */
  onUnexpectedExit?: (description: string) => void
}

/** A token server child process. */
export interface TokenServerProcess {
  readonly url: string
  readonly child: ChildProcess
  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>
}

function prefixLines(stream: NodeJS.ReadableStream, prefix: string, out: NodeJS.WritableStream) {
  let pending = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) out.write(`${prefix}${line}\n`)
  })
  stream.on('end', () => {
    if (pending !== '') out.write(`${prefix}${pending}\n`)
  })
}

/**
 * Starts `node packages/server/dist/main.js` on 127.0.0.1 and waits until `/healthz` answers.
 * A JWT secret is generated for the run unless `JWT_SECRET` is given.
 *
 * @example
 * ```ts
 * const server = await startTokenServer({ port: 3000, env: { TOKEN_STORE: 'memory' } })
 * await server.stop()
 * ```
 */
export async function startTokenServer(
  options: TokenServerProcessOptions,
): Promise<TokenServerProcess> {
  if (!existsSync(serverMain)) {
    throw new Error(`${serverMain} is missing: build first (pnpm demo and pnpm demo:node do).`)
  }
  const prefix = options.prefix ?? 'server │ '
  const child = spawn(process.execPath, [serverMain], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_ENV: process.env.NODE_ENV ?? 'development',
      JWT_SECRET: process.env.JWT_SECRET ?? randomBytes(48).toString('base64url'),
      ...options.env,
      PORT: String(options.port),
      HOST: '127.0.0.1',
    },
  })
  prefixLines(child.stdout, prefix, process.stdout)
  prefixLines(child.stderr, prefix, process.stderr)
  let stopping = false
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.once('exit', (code, signal) => {
    if (!stopping) options.onUnexpectedExit?.(signal ?? `code ${code}`)
  })
  const stop = async () => {
    stopping = true
    if (child.exitCode !== null || child.signalCode !== null) return
    const force = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.kill('SIGTERM')
    await exited
    clearTimeout(force)
  }
  const url = `http://127.0.0.1:${options.port}`
  try {
    await waitForHealthy(url, {
      isAlive: () => child.exitCode === null && child.signalCode === null,
    })
  } catch (error) {
    await stop()
    throw error
  }
  return { url, child, stop }
}
