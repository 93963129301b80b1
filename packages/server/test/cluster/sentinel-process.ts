import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@refresh-kit/testing'

/** A Redis Sentinel child process watching one master group. */
export interface SentinelProcess {
  readonly host: string
  readonly port: number
  /** Kills the sentinel and removes its dir. */
  stop(): Promise<void>
}

/** Options of {@link startSentinel}. */
export interface SentinelOptions {
  /** Port of the master to watch, on 127.0.0.1. */
  masterPort: number
  /** Password of the master and its replicas, and `requirepass` of the sentinel itself. */
  password: string
  /** The master group name. @default 'mymaster' */
  name?: string
}

function waitForOutput(child: ChildProcess, text: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => {
      child.stdout?.off('data', onData)
      reject(new Error(`sentinel on port ${port} did not start:\n${output}`))
    }, 15_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes(text)) {
        clearTimeout(timer)
        child.stdout?.off('data', onData)
        resolve()
      }
    }
    child.stdout?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`sentinel on port ${port} exited with code ${code}:\n${output}`))
    })
  })
}

/**
 * Starts `redis-server --sentinel` on a free loopback port, watching the master at
 * `127.0.0.1:masterPort` with a quorum of 1, and resolves once it monitors it.
 *
 * @example
 * ```ts
 * const sentinel = await startSentinel({ masterPort: master.port, password: master.password })
 * ```
 */
export async function startSentinel(options: SentinelOptions): Promise<SentinelProcess> {
  const name = options.name ?? 'mymaster'
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'refresh-kit-sentinel-'))
  const config = join(dir, 'sentinel.conf')
  // Sentinel rewrites its config file as it learns the topology, so it must be writable.
  await writeFile(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `requirepass ${options.password}`,
      `sentinel monitor ${name} 127.0.0.1 ${options.masterPort} 1`,
      `sentinel auth-pass ${name} ${options.password}`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 10000`,
      '',
    ].join('\n'),
  )
  const child = spawn('redis-server', [config, '--sentinel'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try {
    await waitForOutput(child, '+monitor master', port)
  } catch (error) {
    child.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  // Keep draining the output, or a full pipe would stall the sentinel.
  child.stdout?.resume()
  child.stderr?.resume()
  return {
    host: '127.0.0.1',
    port,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        await exited
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}
