import { randomBytes } from 'node:crypto'
import { type RedisServerProcess, startRedisServer } from '@refresh-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerProcess, startServerProcess } from './server-process.js'

let redis: RedisServerProcess | undefined
const servers: ServerProcess[] = []

beforeAll(async () => {
  redis = await startRedisServer()
})

afterAll(async () => {
  await Promise.allSettled(servers.map((server) => server.stop()))
  await redis?.dispose()
})

function running(): RedisServerProcess {
  if (redis === undefined) throw new Error('redis-server did not start')
  return redis
}

describe('REDIS_PASSWORD with a single Redis', () => {
  it('wins over the password in REDIS_URL', async () => {
    const server = await startServerProcess({
      name: 'password',
      env: {
        REDIS_URL: `redis://:stale-password@127.0.0.1:${running().port}`,
        REDIS_PASSWORD: running().password,
        JWT_SECRET: randomBytes(32).toString('hex'),
        LOG_LEVEL: 'warn',
      },
    })
    servers.push(server)
    const response = await fetch(`${server.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'password-user', password: 'correct horse battery' }),
    })
    expect(response.status).toBe(201)
  })

  it('is needed: the stale password of REDIS_URL alone does not get the server started', async () => {
    const outcome = await startServerProcess({
      name: 'stale password',
      env: {
        REDIS_URL: `redis://:stale-password@127.0.0.1:${running().port}`,
        JWT_SECRET: randomBytes(32).toString('hex'),
      },
    }).then(
      (server) => {
        servers.push(server)
        return 'ready'
      },
      (error: Error) => error.message,
    )
    expect(outcome).toMatch(/exited \(1\) before ready[\s\S]*cannot reach Redis/)
  })
})
