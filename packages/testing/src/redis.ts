import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A Redis that tests may use, however it was found or started. */
export interface ProvisionedRedis {
  /** `redis://:password@host:port`, ready for ioredis. */
  url: string
  /** How it was obtained: from `REDIS_URL`, a testcontainers container, or a spawned binary. */
  source: 'REDIS_URL' | 'testcontainers' | 'redis-server'
  /** Stops what was started; a no-op for `REDIS_URL`. */
  stop(): Promise<void>
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Port to listen on. @default a free port */
  port?: number
  /** `requirepass`. @default 32 random hex characters */
  password?: string
  /** Keep data across `stop()`/`start()` (append-only file in the data dir). @default false */
  persistent?: boolean
  /** Extra `redis-server` arguments. @default [] */
  args?: string[]
}

/** A `redis-server` child process that a test controls: it can stop and start it again. */
export interface RedisServerProcess {
  readonly url: string
  readonly port: number
  readonly password: string
  /** Starts the server again on the same port, with the same data dir. */
  start(): Promise<void>
  /** Stops the server (SIGTERM) and waits for the process to exit. */
  stop(): Promise<void>
  /** Stops the server and removes its data dir. */
  dispose(): Promise<void>
}

export const NO_REDIS_MESSAGE = [
  'These tests need a real Redis, and none could be found. Any one of these works:',
  '  1. set REDIS_URL, e.g. REDIS_URL=redis://:abcd1234@127.0.0.1:6379 (docker compose up -d redis);',
  '  2. run a Docker engine, so testcontainers can start redis/redis-stack;',
  '  3. put a redis-server binary on PATH (Debian/Ubuntu: apt-get install -y redis-server;',
  '     macOS: brew install redis); the tests start it on a free port and stop it afterwards.',
].join('\n')

/** A TCP port that was free a moment ago on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function waitForReady(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`redis-server on port ${port} did not become ready in 10 s:\n${output}`))
    }, 10_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        cleanup()
        resolve()
      }
    }
    const onExit = (code: number | null) => {
      cleanup()
      reject(new Error(`redis-server on port ${port} exited with code ${code}:\n${output}`))
    }
    const onError = (error: Error) => {
      cleanup()
      reject(error)
    }
    function cleanup() {
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      child.off('exit', onExit)
      child.off('error', onError)
    }
    child.stdout?.on('data', onData)
    child.once('exit', onExit)
    child.once('error', onError)
  })
}

/**
 * Spawns `redis-server` from PATH on a loopback port with a password, and waits until it
 * accepts connections. Tests that need to take Redis away (outages, restarts) use it directly.
 *
 * @example
 * ```ts
 * const redis = await startRedisServer({ persistent: true })
 * await redis.stop(); await redis.start()
 * ```
 */
export async function startRedisServer(
  options: RedisServerOptions = {},
): Promise<RedisServerProcess> {
  const port = options.port ?? (await freePort())
  const password = options.password ?? randomBytes(16).toString('hex')
  const dir = await mkdtemp(join(tmpdir(), 'refresh-kit-redis-'))
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--requirepass',
    password,
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.persistent === true ? 'yes' : 'no',
    '--daemonize',
    'no',
    ...(options.args ?? []),
  ]
  let child: ChildProcess | undefined

  const start = async () => {
    if (child !== undefined) return
    const next = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    child = next
    try {
      await waitForReady(next, port)
    } catch (error) {
      child = undefined
      next.kill('SIGKILL')
      throw error
    }
    next.once('exit', () => {
      if (child === next) child = undefined
    })
  }
  const stop = async () => {
    const current = child
    if (current === undefined) return
    child = undefined
    await new Promise<void>((resolve) => {
      current.once('exit', () => resolve())
      current.kill('SIGTERM')
    })
  }

  await start()
  return {
    url: `redis://:${password}@127.0.0.1:${port}`,
    port,
    password,
    start,
    stop,
    dispose: async () => {
      await stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Whether a Docker engine answers `GET /_ping` within a second. */
export async function dockerEngineAnswers(): Promise<boolean> {
  const host = process.env.DOCKER_HOST
  const target =
    host === undefined || host === ''
      ? { socketPath: '/var/run/docker.sock' }
      : host.startsWith('unix://')
        ? { socketPath: host.slice('unix://'.length) }
        : host.startsWith('tcp://')
          ? { host: new URL(host).hostname, port: Number(new URL(host).port || 2375) }
          : undefined
  if (target === undefined) return false
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: 1000 }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
    req.end()
  })
}

async function startContainer(): Promise<ProvisionedRedis> {
  const { GenericContainer, Wait } = await import('testcontainers')
  const password = randomBytes(16).toString('hex')
  const container = await new GenericContainer('redis/redis-stack:latest')
    .withEnvironment({ REDIS_ARGS: `--requirepass ${password}` })
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    .start()
  return {
    url: `redis://:${password}@${container.getHost()}:${container.getMappedPort(6379)}`,
    source: 'testcontainers',
    stop: async () => {
      await container.stop()
    },
  }
}

function isMissingBinary(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT'
}

/**
 * Finds a Redis for a test run: `REDIS_URL` when set; else a `redis/redis-stack` container
 * through testcontainers when a Docker engine answers; else a `redis-server` binary from
 * PATH on a free port with a password. With none of these it throws {@link NO_REDIS_MESSAGE}.
 */
export async function provisionRedis(): Promise<ProvisionedRedis> {
  const fromEnv = process.env.REDIS_URL
  if (fromEnv !== undefined && fromEnv !== '') {
    return { url: fromEnv, source: 'REDIS_URL', stop: async () => {} }
  }
  if (await dockerEngineAnswers()) return startContainer()
  try {
    const server = await startRedisServer()
    return { url: server.url, source: 'redis-server', stop: server.dispose }
  } catch (error) {
    if (isMissingBinary(error)) throw new Error(NO_REDIS_MESSAGE)
    throw error
  }
}
