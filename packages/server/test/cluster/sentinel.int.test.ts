import { randomBytes } from 'node:crypto'
import { type RedisServerProcess, startRedisServer } from '@refresh-kit/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SentinelProcess, startSentinel } from './sentinel-process.js'
import { type ServerProcess, startServerProcess } from './server-process.js'

// A master, one replica and a Sentinel; the server finds the master through the Sentinel
// and must follow it when the Sentinel promotes the replica.

interface TokenPair {
  accessToken: string
  refreshToken: string
}

const password = randomBytes(16).toString('hex')
let master: RedisServerProcess | undefined
let replica: RedisServerProcess | undefined
let sentinel: SentinelProcess | undefined
let server: ServerProcess | undefined
const admins: Redis[] = []

function running<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the setup did not complete')
  return value
}

function admin(port: number): Redis {
  const client = new Redis({ host: '127.0.0.1', port, password, lazyConnect: true })
  // The old master's client keeps reconnecting after it is stopped; that is expected.
  client.on('error', () => {})
  admins.push(client)
  return client
}

async function post<T>(path: string, body: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${running(server).url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  })
  return { status: response.status, body: (await response.json()) as T }
}

/** Polls `probe` until it returns a value; on a timeout, says what was awaited and the last probe error. */
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  context: () => string = () => '',
): Promise<T> {
  const started = Date.now()
  let last: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    if (Date.now() - started > 40_000) {
      throw new Error(`waited 40 s for ${what}; last probe error: ${String(last)}\n${context()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

beforeAll(async () => {
  // No diskless-sync delay: the replica attaches at once instead of after 5 s.
  const args = ['--masterauth', password, '--repl-diskless-sync-delay', '0']
  master = await startRedisServer({ password, args })
  replica = await startRedisServer({
    password,
    args: [...args, '--replicaof', '127.0.0.1', String(master.port)],
  })
  const replicaPort = replica.port
  const probe = admin(master.port)
  // The Sentinel can only promote a replica it has seen attached to the master.
  await until('the replica to attach', async () => {
    const info = await probe.info('replication')
    return info.includes(`port=${replicaPort},state=online`) ? true : undefined
  })
  sentinel = await startSentinel({ masterPort: master.port, password })
  const watcher = admin(sentinel.port)
  await until('the sentinel to see the replica', async () => {
    const replicas = (await watcher.call('SENTINEL', 'REPLICAS', 'mymaster')) as string[][]
    return replicas.some((fields) => fields.includes(String(replicaPort))) ? true : undefined
  })
  server = await startServerProcess({
    name: 'sentinel',
    env: {
      REDIS_SENTINELS: `${sentinel.host}:${sentinel.port}`,
      REDIS_PASSWORD: password,
      // The sentinel and REDIS_PASSWORD must win over this.
      REDIS_URL: 'redis://:wrong-password@127.0.0.1:1',
      JWT_SECRET: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'info',
    },
  })
}, 120_000)

afterAll(async () => {
  await server?.stop()
  for (const client of admins) client.disconnect()
  await sentinel?.stop()
  await Promise.allSettled([master?.dispose(), replica?.dispose()])
}, 60_000)

describe('Redis Sentinel', () => {
  // Failure detection and election take real seconds, more on a loaded machine: a long timeout.
  // The promoted replica has an empty script cache (Redis replicates a script's effects, not
  // the script), so the first rotation there also proves the store loads its scripts again.
  it('keeps a replicated session refreshing when the master dies and the replica is promoted', async () => {
    const credentials = { username: `sentinel-${randomBytes(4).toString('hex')}`, password }
    expect((await post('/auth/register', credentials)).status).toBe(201)
    const login = await post<TokenPair>('/auth/login', credentials)
    expect(login.status).toBe(200)
    const before = await post<TokenPair>('/auth/refresh', {
      refreshToken: login.body.refreshToken,
    })
    expect(before.status).toBe(200)

    // Only a write the replica has acknowledged is sure to survive the failover.
    expect(await admin(running(master).port).call('WAIT', '1', '5000')).toBe(1)
    await running(master).stop()
    const watcher = admin(running(sentinel).port)
    await until('the sentinel to promote the replica', async () => {
      const address = (await watcher.call(
        'SENTINEL',
        'GET-MASTER-ADDR-BY-NAME',
        'mymaster',
      )) as string[]
      return address[1] === String(running(replica).port) ? true : undefined
    })

    // The old master is gone, so a success can only come from the promoted replica. Until
    // the server has moved there it answers 503 (retry later), never a wrong answer, and an
    // attempt that got 503 did not rotate, so the token stays current.
    const after = await until(
      'a refresh on the new master',
      async () => {
        const answer = await post<TokenPair & { error?: string }>('/auth/refresh', {
          refreshToken: before.body.refreshToken,
        })
        return answer.status === 503 ? undefined : answer
      },
      running(server).output,
    )
    expect(after.status).toBe(200)
    expect(after.body.refreshToken).not.toBe(before.body.refreshToken)

    const [newRole] = (await admin(running(replica).port).call('ROLE')) as [string]
    expect(newRole).toBe('master')
  }, 120_000)
})
