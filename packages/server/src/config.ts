import { randomBytes } from 'node:crypto'
import type { LogLevel } from './logger.js'
import { MIN_SECRET_BYTES } from './tokens/keys.js'

/** A `host:port` of a Redis Cluster node or a Redis Sentinel. */
export interface ClusterNodeAddress {
  host: string
  port: number
}

/** The server's configuration, parsed and validated once from the environment. */
export interface ServerConfig {
  /** `PORT`. @default 3000 */
  port: number
  /** `HOST`. @default '0.0.0.0' */
  host: string
  /**
   * `REDIS_URL`, its password replaced by `REDIS_PASSWORD` when that is set.
   * @default 'redis://:abcd1234@127.0.0.1:6379'
   */
  redisUrl: string
  /** `REDIS_CLUSTER_NODES`; when not empty, an ioredis Cluster is used. @default [] */
  redisClusterNodes: ClusterNodeAddress[]
  /**
   * `REDIS_SENTINELS`; when not empty, the master is found through these Sentinels.
   * Exclusive with `REDIS_CLUSTER_NODES`. @default []
   */
  redisSentinels: ClusterNodeAddress[]
  /** `REDIS_SENTINEL_NAME`: the master group the Sentinels watch. @default 'mymaster' */
  redisSentinelName: string
  /**
   * `REDIS_PASSWORD`: the password of the Redis nodes (standalone, cluster or
   * Sentinel-managed) and of the Sentinels; it wins over the password in `REDIS_URL`.
   * @default null (cluster and Sentinel-managed nodes then use the password of `REDIS_URL`)
   */
  redisPassword: string | null
  /** `REDIS_KEY_PREFIX`. @default 'rk:' */
  redisKeyPrefix: string
  /** `TOKEN_STORE`; never falls back from one to the other. @default 'redis' */
  tokenStore: 'redis' | 'memory'
  /** `JWT_SECRET`, or a random one per process outside production. */
  jwtSecret: Buffer
  /** Whether `jwtSecret` was generated because `JWT_SECRET` was unset. */
  jwtSecretGenerated: boolean
  /** `REFRESH_TOKEN_SECRET`; `null` derives it from `jwtSecret` with HKDF. @default null */
  refreshTokenSecret: Buffer | null
  /** `JWT_ISSUER`. @default 'refresh-kit' */
  jwtIssuer: string
  /** `JWT_AUDIENCE`. @default 'refresh-kit' */
  jwtAudience: string
  /** `ACCESS_TOKEN_TTL`, seconds. @default 900 */
  accessTokenTtl: number
  /** `REFRESH_TOKEN_TTL`, idle, seconds. @default 604800 */
  refreshTokenTtl: number
  /** `SESSION_MAX_AGE`, absolute, seconds. @default 2592000 */
  sessionMaxAge: number
  /** `REFRESH_REUSE_GRACE`, seconds. @default 10 */
  refreshReuseGrace: number
  /** `CLOCK_TOLERANCE`, seconds. @default 5 */
  clockTolerance: number
  /** `LOGIN_MAX_FAILURES` per 15 minutes, per username and per client address. @default 5 */
  loginMaxFailures: number
  /** `CORS_ORIGINS`. @default [] */
  corsOrigins: string[]
  /** `TRUST_PROXY`: client address from `X-Forwarded-For`. @default false */
  trustProxy: boolean
  /** `LOG_LEVEL`. @default 'info' */
  logLevel: LogLevel
  /** `NODE_ENV`. @default 'development' */
  nodeEnv: string
}

/**
 * A bad configuration value; the message is one line naming the variable.
 *
 * @example
 * ```ts
 * try { loadConfig(env) } catch (err) { if (err instanceof ConfigError) console.error(err.message) }
 * ```
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  /** The environment variable at fault. */
  readonly variable: string
  constructor(variable: string, problem: string) {
    super(`${variable} ${problem}`)
    this.variable = variable
  }
}

/** The environment to read: `process.env` in `main.ts`, a plain object in tests. */
export type Env = Readonly<Record<string, string | undefined>>

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent']

function show(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
}

/**
 * Parses and validates the server's environment once.
 *
 * @throws ConfigError naming the variable and what is wrong, in one line.
 * @example
 * ```ts
 * const config = loadConfig(process.env)
 * config.port // 3000 unless PORT says otherwise
 * ```
 */
export function loadConfig(env: Env): ServerConfig {
  const raw = (name: string): string | undefined => {
    const value = env[name]
    return value === undefined || value.trim() === '' ? undefined : value.trim()
  }
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const value = raw(name)
    if (value === undefined) return fallback
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new ConfigError(
        name,
        `must be a whole number from ${min} to ${max}, got ${show(value)}`,
      )
    }
    return Number(value)
  }
  const seconds = (name: string, fallback: number, min = 1) =>
    integer(name, fallback, min, 10 * 365 * 24 * 3600)
  const text = (name: string, fallback: string) => raw(name) ?? fallback
  const secret = (name: string): Buffer | undefined => {
    const value = env[name]
    if (value === undefined || value === '') return undefined
    const bytes = Buffer.from(value, 'utf8')
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new ConfigError(name, `must be at least ${MIN_SECRET_BYTES} bytes, got ${bytes.length}`)
    }
    return bytes
  }

  const nodeEnv = text('NODE_ENV', 'development')
  const jwtSecret = secret('JWT_SECRET')
  if (jwtSecret === undefined && nodeEnv === 'production') {
    throw new ConfigError('JWT_SECRET', 'is required when NODE_ENV=production')
  }

  const tokenStore = text('TOKEN_STORE', 'redis')
  if (tokenStore !== 'redis' && tokenStore !== 'memory') {
    throw new ConfigError('TOKEN_STORE', `must be "redis" or "memory", got ${show(tokenStore)}`)
  }

  const redisUrl = text('REDIS_URL', 'redis://:abcd1234@127.0.0.1:6379')
  let url: URL | undefined
  try {
    url = new URL(redisUrl)
  } catch {
    url = undefined
  }
  if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
    throw new ConfigError('REDIS_URL', 'must be a redis:// or rediss:// URL')
  }

  const hostPorts = (name: string): ClusterNodeAddress[] =>
    (raw(name) ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '')
      .map((entry) => {
        const match = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(entry)
        const port = Number(match?.[2])
        if (match?.[1] === undefined || port < 1 || port > 65535) {
          throw new ConfigError(name, `must be comma-separated host:port, got ${show(entry)}`)
        }
        return { host: match[1].replace(/^\[|\]$/g, ''), port }
      })
  const redisClusterNodes = hostPorts('REDIS_CLUSTER_NODES')
  const redisSentinels = hostPorts('REDIS_SENTINELS')
  if (redisClusterNodes.length > 0 && redisSentinels.length > 0) {
    // Two topologies at once is a deployment mistake; guessing which one was meant is worse.
    throw new ConfigError('REDIS_SENTINELS', 'cannot be set together with REDIS_CLUSTER_NODES')
  }
  const redisSentinelName = text('REDIS_SENTINEL_NAME', 'mymaster')
  if (/\s/.test(redisSentinelName) || redisSentinelName.length > 128) {
    throw new ConfigError(
      'REDIS_SENTINEL_NAME',
      `must be at most 128 characters without spaces, got ${show(redisSentinelName)}`,
    )
  }
  const redisPassword = raw('REDIS_PASSWORD') ?? null
  if (redisPassword !== null) url.password = encodeURIComponent(redisPassword)

  const corsOrigins = (raw('CORS_ORIGINS') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      let origin: string | undefined
      try {
        origin = new URL(entry).origin
      } catch {
        origin = undefined
      }
      if (origin !== entry || !/^https?:/.test(entry)) {
        throw new ConfigError(
          'CORS_ORIGINS',
          `must be comma-separated origins like http://localhost:5173, got ${show(entry)}`,
        )
      }
      return entry
    })

  const trustProxyText = text('TRUST_PROXY', 'false').toLowerCase()
  if (!['true', 'false', '1', '0'].includes(trustProxyText)) {
    throw new ConfigError('TRUST_PROXY', `must be true or false, got ${show(trustProxyText)}`)
  }

  const logLevel = text('LOG_LEVEL', 'info').toLowerCase()
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(
      'LOG_LEVEL',
      `must be one of ${LOG_LEVELS.join('|')}, got ${show(logLevel)}`,
    )
  }

  const redisKeyPrefix = env.REDIS_KEY_PREFIX ?? 'rk:'
  if (/\s/.test(redisKeyPrefix) || redisKeyPrefix.length > 64) {
    throw new ConfigError('REDIS_KEY_PREFIX', 'must be at most 64 characters without spaces')
  }

  const jwtIssuer = text('JWT_ISSUER', 'refresh-kit')
  const jwtAudience = text('JWT_AUDIENCE', 'refresh-kit')

  return {
    port: integer('PORT', 3000, 0, 65535),
    host: text('HOST', '0.0.0.0'),
    redisUrl: redisPassword === null ? redisUrl : url.toString(),
    redisClusterNodes,
    redisSentinels,
    redisSentinelName,
    redisPassword,
    redisKeyPrefix,
    tokenStore,
    jwtSecret: jwtSecret ?? randomBytes(32),
    jwtSecretGenerated: jwtSecret === undefined,
    refreshTokenSecret: secret('REFRESH_TOKEN_SECRET') ?? null,
    jwtIssuer,
    jwtAudience,
    accessTokenTtl: seconds('ACCESS_TOKEN_TTL', 900),
    refreshTokenTtl: seconds('REFRESH_TOKEN_TTL', 604_800),
    sessionMaxAge: seconds('SESSION_MAX_AGE', 2_592_000),
    refreshReuseGrace: seconds('REFRESH_REUSE_GRACE', 10, 0),
    clockTolerance: integer('CLOCK_TOLERANCE', 5, 0, 300),
    loginMaxFailures: integer('LOGIN_MAX_FAILURES', 5, 1, 1_000_000),
    corsOrigins,
    trustProxy: trustProxyText === 'true' || trustProxyText === '1',
    logLevel: logLevel as LogLevel,
    nodeEnv,
  }
}
