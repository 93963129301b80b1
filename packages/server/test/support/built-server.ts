import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const packageDir = fileURLToPath(new URL('../..', import.meta.url))
const entry = fileURLToPath(new URL('../../dist/main.js', import.meta.url))

/** The built server (`dist/main.js`) running as a child process. */
export interface BuiltServer {
  child: ChildProcess
  stdout(): string
  stderr(): string
  exited: Promise<number | null>
  stop(): Promise<void>
}

/** Polls `check` every 50 ms until it holds. */
export async function until(check: () => boolean, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Starts `node dist/main.js` with only `env` (and PATH), and waits for its listening line. */
export async function startBuiltServer(env: Record<string, string>): Promise<BuiltServer> {
  if (!existsSync(entry)) {
    throw new Error(
      `${entry} is missing: build the server first (pnpm --filter @refresh-kit/server build)`,
    )
  }
  const child = spawn(process.execPath, [entry], {
    cwd: packageDir,
    env: { PATH: process.env.PATH ?? '', ...env },
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  let gone = false
  void exited.then(() => {
    gone = true
  })
  await until(() => stdout.includes('listening on') || gone, 'the listening line')
  if (gone) throw new Error(`the server exited: ${stderr}`)
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async stop() {
      if (!gone) child.kill('SIGTERM')
      await exited
    },
  }
}
