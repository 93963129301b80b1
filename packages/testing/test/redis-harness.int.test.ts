import { connect } from 'node:net'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { NO_REDIS_MESSAGE, startRedisServer, useTestRedis } from '../src/index.js'

/** Sends inline commands over a plain socket and collects one reply line per command. */
function rawExchange(port: number, commands: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let buffer = ''
    socket.setEncoding('utf8')
    socket.on('error', reject)
    socket.on('data', (chunk: string) => {
      buffer += chunk
      const lines = buffer.split('\r\n').filter((line) => line !== '')
      if (lines.length >= commands.length) {
        socket.end()
        resolve(lines.slice(0, commands.length))
      }
    })
    socket.write(commands.map((command) => `${command}\r\n`).join(''))
  })
}

const redis = useTestRedis('harness')
const neighbour = useTestRedis('harness')

describe('the Redis harness', () => {
  it('gives a password-protected Redis: AUTH is required and checked', async () => {
    const url = new URL(redis.url)
    expect(url.password).not.toBe('')
    const replies = await rawExchange(Number(url.port), [
      'GET anything',
      'AUTH wrong-password',
      `AUTH ${decodeURIComponent(url.password)}`,
      'PING',
    ])
    expect(replies[0]).toMatch(/^-NOAUTH/)
    expect(replies[1]).toMatch(/^-(WRONGPASS|ERR invalid password)/)
    expect(replies[2]).toBe('+OK')
    expect(replies[3]).toBe('+PONG')
  })

  it('stores a value with a TTL under the file prefix', async () => {
    const client = redis.client()
    const key = `${redis.keyPrefix}greeting`
    await client.set(key, 'hello', 'EX', 60)
    expect(await client.get(key)).toBe('hello')
    const ttl = await client.ttl(key)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(60)
    expect(await redis.keys()).toEqual([key])
  })

  it('runs a loaded Lua script by SHA', async () => {
    const client = redis.client()
    const sha = (await client.script(
      'LOAD',
      "return redis.call('INCRBY', KEYS[1], ARGV[1])",
    )) as string
    const key = `${redis.keyPrefix}counter`
    expect(await client.evalsha(sha, 1, key, 5)).toBe(5)
    expect(await client.evalsha(sha, 1, key, 2)).toBe(7)
  })

  it('gives each test file its own prefix', () => {
    expect(redis.keyPrefix).toMatch(/^t:harness:[0-9a-f]{8}:$/)
    expect(neighbour.keyPrefix).not.toBe(redis.keyPrefix)
  })

  it('starts, stops and restarts a redis-server that keeps its data when persistent', async () => {
    const server = await startRedisServer({ persistent: true })
    try {
      const client = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => 100 })
      client.on('error', () => {})
      await client.set('kept', 'yes')
      await server.stop()
      await expect(client.ping()).rejects.toThrow()
      await server.start()
      await expect.poll(() => client.get('kept').catch(() => 'unreachable')).toBe('yes')
      client.disconnect()
    } finally {
      await server.dispose()
    }
  })

  it('names every way to get a Redis when none is found', () => {
    expect(NO_REDIS_MESSAGE).toContain('REDIS_URL')
    expect(NO_REDIS_MESSAGE).toContain('testcontainers')
    expect(NO_REDIS_MESSAGE).toContain('redis-server')
  })
})
