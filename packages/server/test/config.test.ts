import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.js'

const SECRET = 'x'.repeat(32)

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

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      redisUrl: 'redis://:abcd1234@127.0.0.1:6379',
      redisClusterNodes: [],
      redisKeyPrefix: 'rk:',
      tokenStore: 'redis',
      jwtSecretGenerated: true,
      refreshTokenSecret: null,
      jwtIssuer: 'refresh-kit',
      jwtAudience: 'refresh-kit',
      accessTokenTtl: 900,
      refreshTokenTtl: 604_800,
      sessionMaxAge: 2_592_000,
      refreshReuseGrace: 10,
      clockTolerance: 5,
      loginMaxFailures: 5,
      corsOrigins: [],
      trustProxy: false,
      logLevel: 'info',
      nodeEnv: 'development',
    })
    expect(config.jwtSecret.length).toBe(32)
    expect(loadConfig({}).jwtSecret.equals(config.jwtSecret)).toBe(false)
  })

  it('parses every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      REDIS_URL: 'rediss://user:pw@redis.example:6380/2',
      REDIS_CLUSTER_NODES: 'a.example:7000, 10.0.0.2:7001,[::1]:7002',
      REDIS_KEY_PREFIX: 'app:',
      TOKEN_STORE: 'memory',
      JWT_SECRET: SECRET,
      REFRESH_TOKEN_SECRET: 'r'.repeat(40),
      JWT_ISSUER: 'https://auth.example',
      JWT_AUDIENCE: 'api',
      ACCESS_TOKEN_TTL: '300',
      REFRESH_TOKEN_TTL: '3600',
      SESSION_MAX_AGE: '86400',
      REFRESH_REUSE_GRACE: '0',
      CLOCK_TOLERANCE: '0',
      LOGIN_MAX_FAILURES: '10',
      CORS_ORIGINS: 'http://localhost:5173,https://app.example',
      TRUST_PROXY: 'true',
      LOG_LEVEL: 'debug',
      NODE_ENV: 'production',
    })
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      redisUrl: 'rediss://user:pw@redis.example:6380/2',
      redisClusterNodes: [
        { host: 'a.example', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      redisKeyPrefix: 'app:',
      tokenStore: 'memory',
      jwtSecretGenerated: false,
      jwtIssuer: 'https://auth.example',
      jwtAudience: 'api',
      accessTokenTtl: 300,
      refreshTokenTtl: 3600,
      sessionMaxAge: 86400,
      refreshReuseGrace: 0,
      clockTolerance: 0,
      loginMaxFailures: 10,
      corsOrigins: ['http://localhost:5173', 'https://app.example'],
      trustProxy: true,
      logLevel: 'debug',
      nodeEnv: 'production',
    })
    expect(config.jwtSecret.toString()).toBe(SECRET)
    expect(config.refreshTokenSecret?.toString()).toBe('r'.repeat(40))
  })

  it('names the variable and the problem of a bad value in one line', () => {
    expect(messageOf({ PORT: 'abc' })).toBe(
      'PORT must be a whole number from 0 to 65535, got "abc"',
    )
    expect(messageOf({ PORT: '70000' })).toMatch(/^PORT /)
    expect(messageOf({ ACCESS_TOKEN_TTL: '1.5' })).toMatch(
      /^ACCESS_TOKEN_TTL must be a whole number/,
    )
    expect(messageOf({ REFRESH_TOKEN_TTL: '0' })).toMatch(/^REFRESH_TOKEN_TTL /)
    expect(messageOf({ SESSION_MAX_AGE: '-1' })).toMatch(/^SESSION_MAX_AGE /)
    expect(messageOf({ REFRESH_REUSE_GRACE: 'ten' })).toMatch(/^REFRESH_REUSE_GRACE /)
    expect(messageOf({ CLOCK_TOLERANCE: '5s' })).toMatch(/^CLOCK_TOLERANCE /)
    expect(messageOf({ LOGIN_MAX_FAILURES: '0' })).toMatch(/^LOGIN_MAX_FAILURES /)
    expect(messageOf({ TOKEN_STORE: 'postgres' })).toBe(
      'TOKEN_STORE must be "redis" or "memory", got "postgres"',
    )
    expect(messageOf({ REDIS_URL: 'http://localhost' })).toMatch(/^REDIS_URL /)
    expect(messageOf({ REDIS_CLUSTER_NODES: 'host-without-port' })).toMatch(/^REDIS_CLUSTER_NODES /)
    expect(messageOf({ CORS_ORIGINS: 'http://localhost:5173/path' })).toMatch(/^CORS_ORIGINS /)
    expect(messageOf({ CORS_ORIGINS: '*' })).toMatch(/^CORS_ORIGINS /)
    expect(messageOf({ TRUST_PROXY: 'yes please' })).toMatch(/^TRUST_PROXY /)
    expect(messageOf({ LOG_LEVEL: 'verbose' })).toMatch(/^LOG_LEVEL must be one of/)
    expect(messageOf({ REFRESH_TOKEN_SECRET: 'short' })).toMatch(/^REFRESH_TOKEN_SECRET /)
  })

  it('refuses production without JWT_SECRET', () => {
    expect(messageOf({ NODE_ENV: 'production' })).toBe(
      'JWT_SECRET is required when NODE_ENV=production',
    )
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).jwtSecretGenerated).toBe(
      false,
    )
  })

  it('refuses a JWT_SECRET under 32 bytes, counting bytes not characters', () => {
    expect(messageOf({ JWT_SECRET: 'x'.repeat(31) })).toBe(
      'JWT_SECRET must be at least 32 bytes, got 31',
    )
    // 16 two-byte characters are 32 bytes.
    expect(loadConfig({ JWT_SECRET: 'é'.repeat(16) }).jwtSecret.length).toBe(32)
  })
})
