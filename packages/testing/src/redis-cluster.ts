import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './redis.js'

const execFileAsync = promisify(execFile)

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Number of master nodes; Redis Cluster needs at least 3. @default 3 */
  masters?: number
  /** `requirepass` and `masterauth` of every node. @default 32 random hex characters */
  password?: string
  /** How long to wait for the nodes and for `cluster_state:ok`, in ms. @default 30_000 */
  readyTimeout?: number
}

/** One node of a cluster, as a client reaches it. */
export interface RedisClusterNode {
  readonly host: string
  readonly port: number
}

/** A local Redis Cluster of `redis-server` child processes, one temp dir each. */
export interface RedisClusterProcess {
  /** The masters, in the order they were created. */
  readonly nodes: readonly RedisClusterNode[]
  /** The password of every node. */
  readonly password: string
  /** `host:port,host:port,...`, the form `REDIS_CLUSTER_NODES` takes. */
  readonly nodeList: string
  /** Kills every node (SIGTERM, then SIGKILL after 5 s) and removes their dirs. */
  stop(): Promise<void>
}

interface RunningNode {
  readonly port: number
  readonly busPort: number
  readonly dir: string
  readonly child: ChildProcess
  readonly exited: Promise<void>
}

const HOST = '127.0.0.1'

function spawnNode(port: number, busPort: number, dir: string, password: string): RunningNode {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      HOST,
      '--dir',
      dir,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, 'nodes.conf'),
      // The default bus port is port + 10000, past 65535 for a high ephemeral port.
      '--cluster-port',
      String(busPort),
      // A node that stops answering is marked failed quickly; the default is 15 s.
      '--cluster-node-timeout',
      '5000',
      '--requirepass',
      password,
      '--masterauth',
      password,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  return { port, busPort, dir, child, exited }
}

function waitForOutput(node: RunningNode, text: string, timeout: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`cluster node on port ${node.port} did not become ready:\n${output}`))
    }, timeout)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes(text)) {
        cleanup()
        resolve()
      }
    }
    const onExit = (code: number | null) => {
      cleanup()
      reject(new Error(`cluster node on port ${node.port} exited with code ${code}:\n${output}`))
    }
    const onError = (error: Error) => {
      cleanup()
      reject(error)
    }
    function cleanup() {
      clearTimeout(timer)
      node.child.stdout?.off('data', onData)
      node.child.off('exit', onExit)
      node.child.off('error', onError)
    }
    node.child.stdout?.on('data', onData)
    node.child.once('exit', onExit)
    node.child.once('error', onError)
  })
}

async function redisCli(password: string, args: readonly string[]): Promise<string> {
  // REDISCLI_AUTH instead of `-a`: no password on the command line, no warning on stderr.
  const { stdout } = await execFileAsync('redis-cli', [...args], {
    env: { ...process.env, REDISCLI_AUTH: password },
    timeout: 30_000,
  })
  return stdout
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function waitForClusterOk(
  ports: readonly number[],
  password: string,
  timeout: number,
): Promise<void> {
  const deadline = Date.now() + timeout
  let last = ''
  for (;;) {
    const infos = await Promise.all(
      ports.map((port) =>
        redisCli(password, ['-h', HOST, '-p', String(port), 'CLUSTER', 'INFO']).catch(
          (error: unknown) => String(error),
        ),
      ),
    )
    // Every node must agree: one that still sees `fail` would answer CLUSTERDOWN.
    const bad = infos.findIndex((info) => !info.includes('cluster_state:ok'))
    if (bad === -1) return
    last = `port ${ports[bad]}: ${infos[bad]}`
    if (Date.now() > deadline) {
      throw new Error(`the cluster did not reach cluster_state:ok in ${timeout} ms; ${last}`)
    }
    await delay(100)
  }
}

async function stopNode(node: RunningNode): Promise<void> {
  if (node.child.exitCode === null && node.child.signalCode === null) {
    node.child.kill('SIGTERM')
    const timer = setTimeout(() => node.child.kill('SIGKILL'), 5000)
    await node.exited
    clearTimeout(timer)
  }
  await rm(node.dir, { recursive: true, force: true })
}

/**
 * Starts a local Redis Cluster: `masters` password-protected `redis-server` processes with
 * cluster mode on, free loopback ports and a temp dir each, joined by
 * `redis-cli --cluster create` with no replicas. Resolves once every node reports
 * `cluster_state:ok`. If anything fails on the way, what was started is stopped.
 *
 * @example
 * ```ts
 * const cluster = await startRedisCluster({ masters: 3 })
 * const redis = new Cluster(cluster.nodes, { redisOptions: { password: cluster.password } })
 * await cluster.stop()
 * ```
 */
export async function startRedisCluster(
  options: RedisClusterOptions = {},
): Promise<RedisClusterProcess> {
  const masters = options.masters ?? 3
  const password = options.password ?? randomBytes(16).toString('hex')
  const readyTimeout = options.readyTimeout ?? 30_000
  if (!Number.isInteger(masters) || masters < 3) {
    throw new TypeError(`masters must be an integer of at least 3, got ${masters}`)
  }
  if (password === '' || /\s/.test(password)) {
    throw new TypeError('password must be a non-empty string without whitespace')
  }
  if (!Number.isFinite(readyTimeout) || readyTimeout <= 0) {
    throw new TypeError(`readyTimeout must be a positive number of ms, got ${readyTimeout}`)
  }

  const running: RunningNode[] = []
  const stop = async () => {
    await Promise.all(running.splice(0).map(stopNode))
  }
  try {
    for (let index = 0; index < masters; index += 1) {
      const dir = await mkdtemp(join(tmpdir(), 'refresh-kit-cluster-'))
      // Ports are picked one by one while the previous node already holds its port.
      const port = await freePort()
      let busPort = await freePort()
      while (busPort === port) busPort = await freePort()
      const node = spawnNode(port, busPort, dir, password)
      running.push(node)
      await waitForOutput(node, 'Ready to accept connections', readyTimeout)
    }
    const addresses = running.map((node) => `${HOST}:${node.port}`)
    await redisCli(password, [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ])
    await waitForClusterOk(
      running.map((node) => node.port),
      password,
      readyTimeout,
    )
  } catch (error) {
    await stop()
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        'startRedisCluster needs redis-server and redis-cli 7 or newer on PATH (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis)',
        { cause: error },
      )
    }
    throw error
  }
  const nodes = running.map((node) => ({ host: HOST, port: node.port }))
  return {
    nodes,
    password,
    nodeList: nodes.map((node) => `${node.host}:${node.port}`).join(','),
    stop,
  }
}
