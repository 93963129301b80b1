import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/config/config-error.js'
import { loadConfig } from '../../src/config/load.js'

function messageOf(env: Record<string, string>): string {
  try {
    loadConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    const message = (error as Error).message
    expect(message).not.toContain('\n')
    return message
  }
  throw new Error('loadConfig accepted the environment')
}

describe('loadConfig: Redis Cluster, Sentinel and REDIS_PASSWORD', () => {
  it('defaults to a single Redis at REDIS_URL, no sentinels, master group "mymaster"', () => {
    expect(loadConfig({})).toMatchObject({
      redisUrl: 'redis://:abcd1234@127.0.0.1:6379',
      redisClusterNodes: [],
      redisSentinels: [],
      redisSentinelName: 'mymaster',
      redisPassword: null,
    })
  })

  it('parses REDIS_CLUSTER_NODES with spaces, host names, IPv4 and IPv6 addresses', () => {
    const config = loadConfig({
      REDIS_CLUSTER_NODES: ' redis-0.redis:6379, 10.0.0.2:7001 ,[::1]:7002,',
      REDIS_PASSWORD: 'cluster-secret',
    })
    expect(config.redisClusterNodes).toEqual([
      { host: 'redis-0.redis', port: 6379 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ])
    expect(config.redisSentinels).toEqual([])
    expect(config.redisPassword).toBe('cluster-secret')
  })

  it('parses REDIS_SENTINELS and REDIS_SENTINEL_NAME', () => {
    const config = loadConfig({
      REDIS_SENTINELS: 'sentinel-a:26379,sentinel-b:26379, 10.0.0.9:26380',
      REDIS_SENTINEL_NAME: 'tokens-primary',
      REDIS_PASSWORD: 'sentinel-secret',
    })
    expect(config.redisSentinels).toEqual([
      { host: 'sentinel-a', port: 26379 },
      { host: 'sentinel-b', port: 26379 },
      { host: '10.0.0.9', port: 26380 },
    ])
    expect(config.redisSentinelName).toBe('tokens-primary')
    expect(config.redisClusterNodes).toEqual([])
    expect(config.redisPassword).toBe('sentinel-secret')
  })

  it('lets REDIS_PASSWORD replace the password of REDIS_URL, keeping the rest of the URL', () => {
    const config = loadConfig({
      REDIS_URL: 'rediss://app:old-password@redis.example:6380/2',
      REDIS_PASSWORD: 'new-password',
    })
    expect(config.redisUrl).toBe('rediss://app:new-password@redis.example:6380/2')
  })

  it('adds REDIS_PASSWORD to a REDIS_URL without one, percent-encoded', () => {
    const password = 'p@ss:w/rd#1%'
    const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PASSWORD: password })
    const url = new URL(config.redisUrl)
    expect(url.host).toBe('127.0.0.1:6379')
    expect(decodeURIComponent(url.password)).toBe(password)
  })

  it('leaves REDIS_URL as given when REDIS_PASSWORD is unset or blank', () => {
    const url = 'redis://:from-url@127.0.0.1:6379'
    expect(loadConfig({ REDIS_URL: url }).redisUrl).toBe(url)
    expect(loadConfig({ REDIS_URL: url, REDIS_PASSWORD: '  ' })).toMatchObject({
      redisUrl: url,
      redisPassword: null,
    })
  })

  it.each(['REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'])(
    'stops on a bad host:port in %s, naming the variable and the entry',
    (variable) => {
      for (const entry of [
        'host-without-port',
        'redis.example:0',
        'redis.example:65536',
        'redis.example:port',
        ':6379',
        'redis://redis.example:6379',
        'a.example:1;b.example:2',
        '::1:6379',
      ]) {
        const message = messageOf({ [variable]: `ok.example:6379,${entry}` })
        expect(message).toBe(
          `${variable} must be comma-separated host:port, got ${JSON.stringify(entry)}`,
        )
      }
    },
  )

  it('refuses REDIS_CLUSTER_NODES and REDIS_SENTINELS together', () => {
    const message = messageOf({
      REDIS_CLUSTER_NODES: '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003',
      REDIS_SENTINELS: '127.0.0.1:26379',
    })
    expect(message).toBe('REDIS_SENTINELS cannot be set together with REDIS_CLUSTER_NODES')
  })

  it('refuses a REDIS_SENTINEL_NAME with spaces', () => {
    expect(messageOf({ REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_NAME: 'my master' })).toBe(
      'REDIS_SENTINEL_NAME must be at most 128 characters without spaces, got "my master"',
    )
  })
})

describe('main.ts with a bad Redis topology', () => {
  const packageDir = fileURLToPath(new URL('../../', import.meta.url))

  function runMain(env: Record<string, string>) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['--conditions=@refresh-kit/source', '--import', 'tsx', 'src/main.ts'],
          {
            cwd: packageDir,
            env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        )
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString()
        })
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString()
        })
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
        child.once('error', reject)
        child.once('exit', (code) => {
          clearTimeout(timer)
          resolve({ code, stdout, stderr })
        })
      },
    )
  }

  it('exits 1 with one line naming REDIS_CLUSTER_NODES for a bad node list', async () => {
    const result = await runMain({ REDIS_CLUSTER_NODES: '127.0.0.1:7001,127.0.0.1' })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(
      'refresh-kit: invalid configuration: REDIS_CLUSTER_NODES must be comma-separated host:port, got "127.0.0.1"\n',
    )
  })

  it('exits 1 with one line when cluster and sentinel are both set', async () => {
    const result = await runMain({
      REDIS_CLUSTER_NODES: '127.0.0.1:7001',
      REDIS_SENTINELS: '127.0.0.1:26379',
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      'refresh-kit: invalid configuration: REDIS_SENTINELS cannot be set together with REDIS_CLUSTER_NODES\n',
    )
  })
})
