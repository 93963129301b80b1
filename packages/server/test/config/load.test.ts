import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_REFRESH_REUSE_GRACE_SECONDS } from '@refresh-kit/shared'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/config/config-error.js'
import { type Env, loadConfig } from '../../src/config/load.js'
import { abuseLimitRulesOf } from '../../src/config/part-options.js'
import {
  CONFIG_SCHEMA,
  configDefault,
  configDocs,
  INSECURE_SETTINGS,
  LOGIN_LIMIT_VARIABLES,
} from '../../src/config/schema.js'
import { DEFAULT_ABUSE_LIMIT_RULES } from '../../src/credentials/limits/abuse-limits.js'
import { privateJwk } from '../access-tokens/fixtures.js'

// Random bytes in base64 (fixed, so failures reproduce): what production needs.
const SECRET = 'xMTBqdxStdCQJSHMJ3h2zr7cAP4FWVMoWm17Cq4YLK8='
const REFRESH_SECRET = 'c0b5e2f79a4d18e36f0a2b9c7d5e41f8a3b6c2d9e07f14a5b8c3d6e9f2a1b4c7'

function messageOf(env: Record<string, string>, files: Record<string, string> = {}): string {
  try {
    loadConfig(env, { readFile: (path) => readFixture(files, path) })
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    const message = (error as Error).message
    expect(message).not.toContain('\n')
    return message
  }
  throw new Error('loadConfig accepted the environment')
}

function readFixture(files: Record<string, string>, path: string): string {
  const content = files[path]
  if (content === undefined) {
    throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
      code: 'ENOENT',
    })
  }
  return content
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
      accessTokenRevocation: true,
      passwordMinScore: 3,
      refreshTokenTtl: 604_800,
      sessionMaxAge: 2_592_000,
      refreshReuseGrace: 30,
      clockTolerance: 5,
      loginMaxFailures: 5,
      loginFailureWindow: 900,
      loginMaxFailuresPerAddress: 100,
      loginRateLimit: 60,
      registerRateLimit: 10,
      passwordHashConcurrency: 2,
      passwordHashQueue: 64,
      maxSessionsPerUser: 50,
      corsOrigins: [],
      refreshTokenTransport: 'both',
      refreshCookieName: 'rk_refresh',
      cookieSecure: true,
      cookieSamesite: 'strict',
      cookieDomain: null,
      trustProxy: 0,
      logLevel: 'info',
      logFormat: 'json',
      nodeEnv: 'development',
      jwtAlgorithm: 'HS256',
      jwtKeys: [],
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
      REFRESH_TOKEN_SECRET: REFRESH_SECRET,
      JWT_ISSUER: 'https://auth.example',
      JWT_AUDIENCE: 'api',
      ACCESS_TOKEN_TTL: '300',
      REFRESH_TOKEN_TTL: '3600',
      SESSION_MAX_AGE: '86400',
      REFRESH_REUSE_GRACE: '0',
      CLOCK_TOLERANCE: '0',
      LOGIN_MAX_FAILURES: '10',
      LOGIN_FAILURE_WINDOW: '600',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '0',
      LOGIN_RATE_LIMIT: '30',
      REGISTER_RATE_LIMIT: '3',
      PASSWORD_HASH_CONCURRENCY: '4',
      PASSWORD_HASH_QUEUE: '0',
      MAX_SESSIONS_PER_USER: '5',
      CORS_ORIGINS: 'http://localhost:5173,https://app.example',
      TRUST_PROXY: '2',
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
      loginFailureWindow: 600,
      loginMaxFailuresPerAddress: 0,
      loginRateLimit: 30,
      registerRateLimit: 3,
      passwordHashConcurrency: 4,
      passwordHashQueue: 0,
      maxSessionsPerUser: 5,
      corsOrigins: ['http://localhost:5173', 'https://app.example'],
      trustProxy: 2,
      logLevel: 'debug',
      nodeEnv: 'production',
    })
    expect(config.jwtSecret.toString()).toBe(SECRET)
    expect(config.refreshTokenSecret?.toString()).toBe(REFRESH_SECRET)
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
    expect(messageOf({ LOGIN_MAX_FAILURES: '-1' })).toMatch(/^LOGIN_MAX_FAILURES /)
    expect(messageOf({ PASSWORD_HASH_CONCURRENCY: '-1' })).toMatch(/^PASSWORD_HASH_CONCURRENCY /)
    expect(messageOf({ MAX_SESSIONS_PER_USER: 'many' })).toMatch(/^MAX_SESSIONS_PER_USER /)
    expect(messageOf({ TRUST_PROXY: 'yes' })).toMatch(/^TRUST_PROXY must be a number of proxy hops/)
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(1)
    expect(loadConfig({}).trustProxyHeader).toBe('x-forwarded')
    expect(loadConfig({ TRUST_PROXY_HEADER: 'forwarded' }).trustProxyHeader).toBe('forwarded')
    expect(messageOf({ TRUST_PROXY_HEADER: 'x-real-ip' })).toMatch(/^TRUST_PROXY_HEADER /)
    expect(messageOf({ TOKEN_STORE: 'postgres' })).toBe(
      'TOKEN_STORE must be one of redis|memory, got "postgres"',
    )
    expect(messageOf({ REDIS_URL: 'http://localhost' })).toMatch(/^REDIS_URL /)
    expect(messageOf({ REDIS_CLUSTER_NODES: 'host-without-port' })).toMatch(/^REDIS_CLUSTER_NODES /)
    expect(messageOf({ CORS_ORIGINS: 'http://localhost:5173/path' })).toMatch(/^CORS_ORIGINS /)
    expect(messageOf({ CORS_ORIGINS: '*' })).toMatch(/^CORS_ORIGINS /)
    expect(messageOf({ TRUST_PROXY: 'yes please' })).toMatch(/^TRUST_PROXY /)
    expect(messageOf({ LOG_LEVEL: 'verbose' })).toMatch(/^LOG_LEVEL must be one of/)
    expect(messageOf({ REFRESH_TOKEN_SECRET: 'short' })).toMatch(/^REFRESH_TOKEN_SECRET /)
  })

  it('reads the refresh cookie variables and refuses combinations browsers would drop', () => {
    expect(
      loadConfig({
        REFRESH_TOKEN_TRANSPORT: 'Cookie',
        REFRESH_COOKIE_NAME: '__Secure-rt',
        COOKIE_SECURE: 'true',
        COOKIE_SAMESITE: 'None',
        COOKIE_DOMAIN: '.example.com',
      }),
    ).toMatchObject({
      refreshTokenTransport: 'cookie',
      refreshCookieName: '__Secure-rt',
      cookieSecure: true,
      cookieSamesite: 'none',
      cookieDomain: '.example.com',
    })
    expect(loadConfig({ COOKIE_SECURE: 'false', COOKIE_SAMESITE: 'lax' })).toMatchObject({
      cookieSecure: false,
      cookieSamesite: 'lax',
    })
    expect(messageOf({ REFRESH_TOKEN_TRANSPORT: 'header' })).toMatch(/^REFRESH_TOKEN_TRANSPORT /)
    expect(messageOf({ REFRESH_COOKIE_NAME: 'rk refresh' })).toMatch(/^REFRESH_COOKIE_NAME /)
    expect(messageOf({ REFRESH_COOKIE_NAME: 'rk;x=1' })).toMatch(/^REFRESH_COOKIE_NAME /)
    expect(messageOf({ REFRESH_COOKIE_NAME: '__Host-rt' })).toMatch(/^REFRESH_COOKIE_NAME /)
    expect(messageOf({ REFRESH_COOKIE_NAME: '__Secure-rt', COOKIE_SECURE: 'false' })).toMatch(
      /^REFRESH_COOKIE_NAME /,
    )
    expect(messageOf({ COOKIE_SECURE: 'maybe' })).toMatch(/^COOKIE_SECURE /)
    expect(messageOf({ COOKIE_SAMESITE: 'loose' })).toMatch(/^COOKIE_SAMESITE /)
    expect(messageOf({ COOKIE_SAMESITE: 'none', COOKIE_SECURE: 'false' })).toBe(
      'COOKIE_SAMESITE none requires COOKIE_SECURE=true',
    )
    expect(messageOf({ COOKIE_DOMAIN: 'example.com; Path=/' })).toMatch(/^COOKIE_DOMAIN /)
  })

  it('treats an empty or blank variable as unset', () => {
    const config = loadConfig({ PORT: '', HOST: '   ', LOG_LEVEL: ' ', JWT_SECRET: '' })
    expect(config).toMatchObject({ port: 3000, host: '0.0.0.0', logLevel: 'info' })
    expect(config.jwtSecretGenerated).toBe(true)
  })

  it('reads LOG_FORMAT, json unless pretty is asked for', () => {
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty')
    expect(messageOf({ LOG_FORMAT: 'text' })).toBe(
      'LOG_FORMAT must be one of json|pretty, got "text"',
    )
  })

  it('opens no metrics listener unless METRICS_PORT is set, and binds it to loopback by default', () => {
    expect(loadConfig({})).toMatchObject({ metricsPort: null, metricsHost: '127.0.0.1' })
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' })).toMatchObject({
      metricsPort: 9464,
      metricsHost: '0.0.0.0',
    })
    expect(loadConfig({ METRICS_PORT: '0' }).metricsPort).toBe(0)
    expect(messageOf({ METRICS_PORT: '70000' })).toMatch(/^METRICS_PORT must be a whole number/)
  })

  it('declares every variable once, with a description and a default the table can show', () => {
    for (const [name, schema] of Object.entries(CONFIG_SCHEMA.shape)) {
      const doc = configDocs.get(schema)
      expect(doc?.description, name).toBeTruthy()
    }
    expect(configDefault('ACCESS_TOKEN_TTL')).toBe(900)
    expect(configDefault('CORS_ORIGINS')).toEqual([])
    expect(loadConfig({}).accessTokenTtl).toBe(configDefault('ACCESS_TOKEN_TTL'))
  })

  it('grants the reuse grace the SDK timing bounds of the protocol are checked against', () => {
    expect(configDefault('REFRESH_REUSE_GRACE')).toBe(DEFAULT_REFRESH_REUSE_GRACE_SECONDS)
  })

  it('limits logins and hashing with the schema defaults when a part is built without a config', () => {
    const rules = abuseLimitRulesOf(loadConfig({}))
    expect(DEFAULT_ABUSE_LIMIT_RULES).toEqual(rules)
    expect(rules.loginFailuresPerPair).toEqual({ points: 5, durationSeconds: 900 })
    expect(rules.registrationsPerAddress).toEqual({ points: 10, durationSeconds: 3600 })
  })

  it('refuses production without JWT_SECRET', () => {
    expect(messageOf({ NODE_ENV: 'production' })).toBe(
      'JWT_SECRET is required when NODE_ENV=production',
    )
    // Blank is unset: no whitespace secret slips through.
    expect(messageOf({ NODE_ENV: 'production', JWT_SECRET: '' })).toBe(
      'JWT_SECRET is required when NODE_ENV=production',
    )
    expect(
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, REDIS_URL: 'redis://r:6379' })
        .jwtSecretGenerated,
    ).toBe(false)
  })

  it('refuses production without REDIS_URL, never using the seed password there', () => {
    expect(messageOf({ NODE_ENV: 'production', JWT_SECRET: SECRET })).toMatch(
      /^REDIS_URL is required when NODE_ENV=production/,
    )
    // A cluster or Sentinel deployment names its nodes instead; the seed password stays out.
    const cluster = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: SECRET,
      REDIS_CLUSTER_NODES: 'r1:7000,r2:7000',
    })
    expect(cluster.redisUrl).not.toContain('abcd1234')
    const sentinel = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: SECRET,
      REDIS_SENTINELS: 's1:26379',
      REDIS_PASSWORD: 'real-password',
    })
    expect(new URL(sentinel.redisUrl).password).toBe('real-password')
    // The memory store needs no Redis; outside production the development default stays.
    expect(
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, TOKEN_STORE: 'memory' }).tokenStore,
    ).toBe('memory')
    expect(loadConfig({}).redisUrl).toBe('redis://:abcd1234@127.0.0.1:6379')
  })

  describe('production refuses insecure settings unless ALLOW_INSECURE names them', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: SECRET, REDIS_URL: 'redis://r:6379' }
    const limitsOff = Object.fromEntries(LOGIN_LIMIT_VARIABLES.map((name) => [name, '0']))

    it('accepts the defaults with a random secret', () => {
      expect(loadConfig(production)).toMatchObject({ cookieSecure: true, allowInsecure: [] })
    })

    it('refuses COOKIE_SECURE=false, and allows it when named', () => {
      expect(messageOf({ ...production, COOKIE_SECURE: 'false' })).toBe(
        'COOKIE_SECURE must be true when NODE_ENV=production (false sends the refresh cookie over plain HTTP), unless ALLOW_INSECURE names COOKIE_SECURE',
      )
      expect(
        messageOf({ ...production, COOKIE_SECURE: '0', ALLOW_INSECURE: 'JWT_SECRET' }),
      ).toMatch(/^COOKIE_SECURE must be true when NODE_ENV=production/)
      const allowed = loadConfig({
        ...production,
        COOKIE_SECURE: 'false',
        ALLOW_INSECURE: 'COOKIE_SECURE',
      })
      expect(allowed).toMatchObject({ cookieSecure: false, allowInsecure: ['COOKIE_SECURE'] })
    })

    it.each([
      ['48 times the same character', 'a'.repeat(48)],
      ['a word repeated', 'changeme'.repeat(6)],
      ['a two-character alphabet', '0110100110010110'.repeat(3)],
      ['a run of the alphabet', 'abcdefghijklmnopqrstuvwxyz012345'],
    ])('refuses a JWT_SECRET of little entropy (%s), and allows it when named', (_, weak) => {
      expect(messageOf({ ...production, JWT_SECRET: weak })).toMatch(
        /^JWT_SECRET has little entropy \(about \d+ bits by estimate, 80 needed: .*\), unless ALLOW_INSECURE names JWT_SECRET$/,
      )
      const allowed = loadConfig({ ...production, JWT_SECRET: weak, ALLOW_INSECURE: 'JWT_SECRET' })
      expect(allowed.jwtSecret.toString()).toBe(weak)
    })

    it('refuses a REFRESH_TOKEN_SECRET of little entropy, and allows it when named', () => {
      const weak = { ...production, REFRESH_TOKEN_SECRET: 'r'.repeat(40) }
      expect(messageOf(weak)).toMatch(
        /^REFRESH_TOKEN_SECRET has little entropy .*, unless ALLOW_INSECURE names REFRESH_TOKEN_SECRET$/,
      )
      // Naming one secret does not allow the other.
      expect(messageOf({ ...weak, ALLOW_INSECURE: 'JWT_SECRET' })).toMatch(
        /^REFRESH_TOKEN_SECRET has little entropy/,
      )
      expect(
        loadConfig({ ...weak, ALLOW_INSECURE: 'REFRESH_TOKEN_SECRET' }).refreshTokenSecret?.length,
      ).toBe(40)
    })

    it('accepts random secrets of 32 bytes in base64 and hex, and of the minimum length in hex', () => {
      for (let i = 0; i < 200; i++) {
        for (const secret of [
          randomBytes(32).toString('base64'),
          randomBytes(32).toString('hex'),
          randomBytes(32).toString('base64url'),
          randomBytes(16).toString('hex'),
        ]) {
          expect(() => loadConfig({ ...production, JWT_SECRET: secret }), secret).not.toThrow()
        }
      }
    })

    it('refuses every login limit off, and allows it when LOGIN_LIMITS is named', () => {
      expect(LOGIN_LIMIT_VARIABLES).toEqual(
        expect.arrayContaining([
          'LOGIN_MAX_FAILURES',
          'LOGIN_MAX_FAILURES_PER_ADDRESS',
          'LOGIN_RATE_LIMIT',
        ]),
      )
      expect(messageOf({ ...production, ...limitsOff })).toBe(
        `${LOGIN_LIMIT_VARIABLES.join(', ')} are all 0, which turns every login limit off: refused when NODE_ENV=production, unless ALLOW_INSECURE names LOGIN_LIMITS`,
      )
      // One limit left on is enough, whichever it is.
      for (const name of LOGIN_LIMIT_VARIABLES) {
        expect(() => loadConfig({ ...production, ...limitsOff, [name]: '1' }), name).not.toThrow()
      }
      const allowed = loadConfig({ ...production, ...limitsOff, ALLOW_INSECURE: 'LOGIN_LIMITS' })
      expect(allowed).toMatchObject({ loginMaxFailures: 0, loginRateLimit: 0 })
    })

    it('counts every variable declared as a login limit, so a limit added later is included', () => {
      // Each login limit is an integer whose 0 turns it off, described as a login limit.
      for (const name of LOGIN_LIMIT_VARIABLES) {
        expect(name).toMatch(/^LOGIN_/)
        expect(loadConfig({ [name]: '0' })).toBeTruthy()
      }
      // The limits that bound logins and are not a window or registration are all in the list.
      const loginCounts = Object.keys(CONFIG_SCHEMA.shape).filter(
        (name) => name.startsWith('LOGIN_') && name !== 'LOGIN_FAILURE_WINDOW',
      )
      expect([...LOGIN_LIMIT_VARIABLES].sort()).toEqual(loginCounts.sort())
    })

    it('allows several settings at once, written with spaces or in any order', () => {
      const config = loadConfig({
        ...production,
        ...limitsOff,
        COOKIE_SECURE: 'false',
        JWT_SECRET: 'changeme'.repeat(6),
        ALLOW_INSECURE: ' LOGIN_LIMITS , COOKIE_SECURE,JWT_SECRET ',
      })
      expect(config.allowInsecure).toEqual(['LOGIN_LIMITS', 'COOKIE_SECURE', 'JWT_SECRET'])
      // Each refusal needs its own name: two of three named still stops at the third.
      expect(
        messageOf({
          ...production,
          ...limitsOff,
          COOKIE_SECURE: 'false',
          JWT_SECRET: 'changeme'.repeat(6),
          ALLOW_INSECURE: 'COOKIE_SECURE,JWT_SECRET',
        }),
      ).toMatch(/are all 0, which turns every login limit off/)
    })

    it('refuses an unknown name in ALLOW_INSECURE, in production and elsewhere', () => {
      const problem = `ALLOW_INSECURE must be a comma-separated list of ${INSECURE_SETTINGS.join(', ')}, got "COOKIE_SECURE=false"`
      expect(messageOf({ ...production, ALLOW_INSECURE: 'COOKIE_SECURE=false' })).toBe(problem)
      expect(messageOf({ ALLOW_INSECURE: 'COOKIE_SECURE=false' })).toBe(problem)
      expect(messageOf({ ALLOW_INSECURE: 'cookie_secure' })).toMatch(/^ALLOW_INSECURE must be/)
      expect(messageOf({ ALLOW_INSECURE: 'LOGIN_RATE_LIMIT' })).toMatch(/got "LOGIN_RATE_LIMIT"$/)
    })

    it('leaves other environments as they were', () => {
      const development = loadConfig({
        ...limitsOff,
        COOKIE_SECURE: 'false',
        JWT_SECRET: 'a'.repeat(48),
        REFRESH_TOKEN_SECRET: 'r'.repeat(40),
      })
      expect(development).toMatchObject({ nodeEnv: 'development', cookieSecure: false })
      expect(
        loadConfig({
          ...limitsOff,
          NODE_ENV: 'test',
          COOKIE_SECURE: 'false',
          JWT_SECRET: 'a'.repeat(48),
        }).nodeEnv,
      ).toBe('test')
    })
  })

  it('caps ACCESS_TOKEN_TTL at one hour', () => {
    expect(loadConfig({ ACCESS_TOKEN_TTL: '3600' }).accessTokenTtl).toBe(3600)
    expect(messageOf({ ACCESS_TOKEN_TTL: '3601' })).toBe(
      'ACCESS_TOKEN_TTL must be a whole number from 1 to 3600, got "3601"',
    )
  })

  it('reads PASSWORD_MIN_SCORE from 0 to 4 and ACCESS_TOKEN_REVOCATION as a boolean', () => {
    expect(loadConfig({}).passwordMinScore).toBe(3)
    expect(loadConfig({}).accessTokenRevocation).toBe(true)
    expect(loadConfig({ PASSWORD_MIN_SCORE: '0' }).passwordMinScore).toBe(0)
    expect(loadConfig({ ACCESS_TOKEN_REVOCATION: 'false' }).accessTokenRevocation).toBe(false)
    expect(messageOf({ PASSWORD_MIN_SCORE: '5' })).toMatch(/^PASSWORD_MIN_SCORE must be/)
    expect(messageOf({ ACCESS_TOKEN_REVOCATION: 'maybe' })).toMatch(/^ACCESS_TOKEN_REVOCATION /)
  })

  it('refuses a JWT_SECRET under 32 bytes, counting bytes not characters', () => {
    expect(messageOf({ JWT_SECRET: 'x'.repeat(31) })).toBe(
      'JWT_SECRET must be at least 32 bytes, got 31',
    )
    // 16 two-byte characters are 32 bytes.
    expect(loadConfig({ JWT_SECRET: 'é'.repeat(16) }).jwtSecret.length).toBe(32)
  })

  describe('JWT_ALGORITHM, JWT_KEYS_FILE, JWT_PRIVATE_KEY_FILE', () => {
    const es = [privateJwk('ES256', { kid: 'a' }), privateJwk('ES256', { kid: 'b' })]
    const keySet = JSON.stringify({ keys: es })

    it('reads a key set file for rotation, oldest first', () => {
      const env: Env = { JWT_ALGORITHM: 'ES256', JWT_KEYS_FILE: '/keys/jwks.json' }
      const config = loadConfig(env, {
        readFile: (path) => readFixture({ '/keys/jwks.json': keySet }, path),
      })
      expect(config.jwtAlgorithm).toBe('ES256')
      expect(config.jwtKeys.map((jwk) => jwk.kid)).toEqual(['a', 'b'])
    })

    it('reads a PEM private key from a real file', () => {
      const dir = mkdtempSync(join(tmpdir(), 'refresh-kit-config-'))
      const file = join(dir, 'es256.pem')
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }))
      const config = loadConfig({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: file })
      expect(config.jwtKeys).toHaveLength(1)
      expect(config.jwtKeys[0]).toMatchObject({ kty: 'EC', crv: 'P-256' })
    })

    it('names the variable and the problem of a bad value in one line', () => {
      const files = {
        '/keys/jwks.json': keySet,
        '/keys/bad.json': '{ "keys": [',
        '/keys/not-a-set.json': '[]',
        '/keys/rsa.pem': generateKeyPairSync('rsa', { modulusLength: 2048 })
          .privateKey.export({ format: 'pem', type: 'pkcs8' })
          .toString(),
        '/keys/public.pem': generateKeyPairSync('ed25519')
          .publicKey.export({ format: 'pem', type: 'spki' })
          .toString(),
      }
      expect(messageOf({ JWT_ALGORITHM: 'PS256' })).toBe(
        'JWT_ALGORITHM must be one of HS256|ES256|RS256, got "PS256"',
      )
      // jsonwebtoken, the one JWT engine, has no EdDSA: refused at start, never half-supported.
      expect(messageOf({ JWT_ALGORITHM: 'EdDSA' })).toBe(
        'JWT_ALGORITHM must be one of HS256|ES256|RS256, got "EdDSA"',
      )
      expect(messageOf({ JWT_ALGORITHM: 'es256' })).toMatch(/^JWT_ALGORITHM must be one of/)
      expect(messageOf({ JWT_ALGORITHM: 'ES256' })).toBe(
        'JWT_ALGORITHM ES256 needs JWT_KEYS_FILE or JWT_PRIVATE_KEY_FILE',
      )
      expect(messageOf({ JWT_KEYS_FILE: '/keys/jwks.json' }, files)).toBe(
        'JWT_KEYS_FILE needs JWT_ALGORITHM set to ES256 or RS256 (it is HS256)',
      )
      expect(
        messageOf(
          {
            JWT_ALGORITHM: 'ES256',
            JWT_KEYS_FILE: '/keys/jwks.json',
            JWT_PRIVATE_KEY_FILE: '/keys/rsa.pem',
          },
          files,
        ),
      ).toBe('JWT_PRIVATE_KEY_FILE cannot be set together with JWT_KEYS_FILE')
      expect(
        messageOf({ JWT_ALGORITHM: 'ES256', JWT_KEYS_FILE: '/keys/missing.json' }, files),
      ).toBe('JWT_KEYS_FILE cannot be read ("/keys/missing.json"): ENOENT')
      expect(messageOf({ JWT_ALGORITHM: 'ES256', JWT_KEYS_FILE: '/keys/bad.json' }, files)).toMatch(
        /^JWT_KEYS_FILE is not valid JSON: /,
      )
      expect(
        messageOf({ JWT_ALGORITHM: 'ES256', JWT_KEYS_FILE: '/keys/not-a-set.json' }, files),
      ).toBe('JWT_KEYS_FILE must hold a JWK set: { "keys": [ ... ] }')
      // An algorithm/key mismatch stops the start, naming the key.
      expect(messageOf({ JWT_ALGORITHM: 'RS256', JWT_KEYS_FILE: '/keys/jwks.json' }, files)).toBe(
        'JWT_KEYS_FILE key 1 of 2 (kid "a") is an ec prime256v1 key; RS256 needs an RSA key',
      )
      expect(
        messageOf({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: '/keys/rsa.pem' }, files),
      ).toBe('JWT_PRIVATE_KEY_FILE key 1 of 1 is an rsa key; ES256 needs an EC P-256 key')
      expect(
        messageOf({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY_FILE: '/keys/public.pem' }, files),
      ).toMatch(/^JWT_PRIVATE_KEY_FILE is not a PEM private key/)
    })

    it('in production, asks for a refresh-token secret instead of JWT_SECRET', () => {
      const files = { '/keys/jwks.json': keySet }
      const env = {
        NODE_ENV: 'production',
        JWT_ALGORITHM: 'ES256',
        JWT_KEYS_FILE: '/keys/jwks.json',
        REDIS_URL: 'redis://redis.example:6379',
      }
      expect(messageOf(env, files)).toBe(
        'REFRESH_TOKEN_SECRET is required when NODE_ENV=production and JWT_ALGORITHM=ES256 (or JWT_SECRET to derive it from)',
      )
      const readFile = (path: string) => readFixture(files, path)
      expect(
        loadConfig({ ...env, REFRESH_TOKEN_SECRET: REFRESH_SECRET }, { readFile }).jwtAlgorithm,
      ).toBe('ES256')
      expect(loadConfig({ ...env, JWT_SECRET: SECRET }, { readFile }).jwtAlgorithm).toBe('ES256')
    })
  })
})
