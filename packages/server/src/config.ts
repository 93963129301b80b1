import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { LogLevel } from './logger.js'
import {
  ACCESS_TOKEN_ALGORITHMS,
  type AccessTokenAlgorithm,
  isAccessTokenAlgorithm,
} from './tokens/algorithms.js'
import { MIN_SECRET_BYTES } from './tokens/keys.js'
import { createSigningKeySet, type PrivateJwk, privateJwkOf } from './tokens/signing-keys.js'

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
  /**
   * `JWT_ALGORITHM`: how access tokens are signed. `HS256` with `JWT_SECRET`; `ES256`,
   * `EdDSA` (Ed25519) or `RS256` with the private keys of `JWT_KEYS_FILE` or
   * `JWT_PRIVATE_KEY_FILE`, public halves at `/.well-known/jwks.json`. @default 'HS256'
   */
  jwtAlgorithm: AccessTokenAlgorithm
  /**
   * The private keys of an asymmetric `jwtAlgorithm`, oldest first, already checked against
   * it: from `JWT_KEYS_FILE` (a JWK set `{ "keys": [...] }`, for rotation: the last key
   * without `"status": "next"` signs, every key verifies) or `JWT_PRIVATE_KEY_FILE` (one PEM
   * private key, `kid` = its RFC 7638 thumbprint). @default [] (HS256)
   */
  jwtKeys: PrivateJwk[]
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
  /**
   * `METRICS_PORT`: where `GET /metrics` (Prometheus) listens, apart from the API; `0`
   * picks a free port. @default null (no metrics listener)
   */
  metricsPort: number | null
  /** `METRICS_HOST`: the address of the metrics listener. @default '127.0.0.1' */
  metricsHost: string
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

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Reads a key file named by `JWT_KEYS_FILE` or `JWT_PRIVATE_KEY_FILE`. @default fs.readFileSync(path, 'utf8') */
  readFile?: (path: string) => string
}

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
export function loadConfig(env: Env, options: LoadConfigOptions = {}): ServerConfig {
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'))
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
  const jwtAlgorithm = text('JWT_ALGORITHM', 'HS256')
  if (!isAccessTokenAlgorithm(jwtAlgorithm)) {
    throw new ConfigError(
      'JWT_ALGORITHM',
      `must be one of ${ACCESS_TOKEN_ALGORITHMS.join('|')}, got ${show(jwtAlgorithm)}`,
    )
  }
  const jwtKeys = readJwtKeys(jwtAlgorithm, raw, readFile)
  const jwtSecret = secret('JWT_SECRET')
  const refreshTokenSecret = secret('REFRESH_TOKEN_SECRET') ?? null
  if (nodeEnv === 'production' && jwtSecret === undefined) {
    if (jwtAlgorithm === 'HS256') {
      throw new ConfigError('JWT_SECRET', 'is required when NODE_ENV=production')
    }
    // Refresh tokens are still HMAC-authenticated: a per-process key would log everyone out.
    if (refreshTokenSecret === null) {
      throw new ConfigError(
        'REFRESH_TOKEN_SECRET',
        `is required when NODE_ENV=production and JWT_ALGORITHM=${jwtAlgorithm} (or JWT_SECRET to derive it from)`,
      )
    }
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
    jwtAlgorithm,
    jwtKeys,
    jwtSecret: jwtSecret ?? randomBytes(32),
    jwtSecretGenerated: jwtSecret === undefined,
    refreshTokenSecret,
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
    metricsPort: raw('METRICS_PORT') === undefined ? null : integer('METRICS_PORT', 0, 0, 65535),
    metricsHost: text('METRICS_HOST', '127.0.0.1'),
  }
}

/** One line, whatever a parser or node:crypto put in its message. */
function oneLine(message: string): string {
  return message.replace(/\s+/g, ' ').trim()
}

function readJwtKeys(
  algorithm: AccessTokenAlgorithm,
  raw: (name: string) => string | undefined,
  readFile: (path: string) => string,
): PrivateJwk[] {
  const keysFile = raw('JWT_KEYS_FILE')
  const pemFile = raw('JWT_PRIVATE_KEY_FILE')
  if (keysFile !== undefined && pemFile !== undefined) {
    throw new ConfigError('JWT_PRIVATE_KEY_FILE', 'cannot be set together with JWT_KEYS_FILE')
  }
  const variable = keysFile === undefined ? 'JWT_PRIVATE_KEY_FILE' : 'JWT_KEYS_FILE'
  const path = keysFile ?? pemFile
  if (algorithm === 'HS256') {
    // A key file with the default algorithm is a forgotten JWT_ALGORITHM, not a wish for HS256.
    if (path !== undefined) {
      throw new ConfigError(
        variable,
        'needs JWT_ALGORITHM set to ES256, EdDSA or RS256 (it is HS256)',
      )
    }
    return []
  }
  if (path === undefined) {
    throw new ConfigError(
      'JWT_ALGORITHM',
      `${algorithm} needs JWT_KEYS_FILE or JWT_PRIVATE_KEY_FILE`,
    )
  }
  let content: string
  try {
    content = readFile(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new ConfigError(variable, `cannot be read (${show(path)}): ${oneLine(String(code))}`)
  }
  let jwks: PrivateJwk[]
  try {
    if (keysFile === undefined) {
      jwks = [privateJwkOf(content)]
    } else {
      let document: unknown
      try {
        document = JSON.parse(content)
      } catch (error) {
        throw new TypeError(`is not valid JSON: ${(error as Error).message}`)
      }
      const keys = (document as { keys?: unknown } | null)?.keys
      if (!Array.isArray(keys)) throw new TypeError('must hold a JWK set: { "keys": [ ... ] }')
      jwks = keys as PrivateJwk[]
    }
    // Built here once to check them, so a wrong key stops the start with its name.
    createSigningKeySet(algorithm, jwks)
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    throw new ConfigError(variable, oneLine(error.message))
  }
  return jwks
}
