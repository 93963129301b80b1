import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { z } from 'zod'
import { readSigningJwks } from '../access-tokens/key-files.js'
import { estimateSecretBits, MIN_SECRET_ENTROPY_BITS } from '../access-tokens/secret-entropy.js'
import type { PrivateJwk } from '../access-tokens/signing-keys.js'
import { oneLine } from '../lib/text.js'
import { ConfigError } from './config-error.js'
import { CONFIG_SCHEMA, type InsecureSetting, LOGIN_LIMIT_VARIABLES, type Shape } from './schema.js'

/** The environment to read: `process.env` in `main.ts`, a plain object in tests. */
export type Env = Readonly<Record<string, string | undefined>>

/** `ACCESS_TOKEN_TTL` → `accessTokenTtl`. */
type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Lowercase<Head>}${Capitalize<CamelCase<Tail>>}`
  : Lowercase<S>

type EnvConfig = { [K in keyof Shape as CamelCase<K & string>]: z.output<Shape[K]> }

/** The variables that are read into other fields rather than kept as they are. */
type ReadInto = 'jwtKeysFile' | 'jwtPrivateKeyFile' | 'jwtSecret'

/**
 * The server's configuration, parsed and validated once from the environment: one field per
 * variable of {@link CONFIG_SCHEMA}, named in camel case (`ACCESS_TOKEN_TTL` →
 * `accessTokenTtl`), with the key files read and the secret settled.
 */
export type ServerConfig = Omit<EnvConfig, ReadInto> & {
  /**
   * The private keys of an asymmetric `jwtAlgorithm`, oldest first, already checked against
   * it: from `JWT_KEYS_FILE` (a JWK set; the last key without `"status": "next"` signs,
   * every key verifies) or `JWT_PRIVATE_KEY_FILE` (one PEM key, `kid` = its RFC 7638
   * thumbprint). Empty with HS256.
   */
  jwtKeys: PrivateJwk[]
  /** `JWT_SECRET`, or a random one per process outside production. */
  jwtSecret: Buffer
  /** Whether `jwtSecret` was generated because `JWT_SECRET` was unset. */
  jwtSecretGenerated: boolean
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Reads a key file named by `JWT_KEYS_FILE` or `JWT_PRIVATE_KEY_FILE`. @default fs.readFileSync(path, 'utf8') */
  readFile?: (path: string) => string
}

const camelCase = (name: string) =>
  name.toLowerCase().replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase())

// Secrets are taken byte for byte; everything else is trimmed.
const UNTRIMMED = new Set<string>(['JWT_SECRET', 'REFRESH_TOKEN_SECRET'])

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
  const input: Record<string, string> = {}
  for (const name of Object.keys(CONFIG_SCHEMA.shape)) {
    const value = env[name]
    if (value === undefined) continue
    const given = UNTRIMMED.has(name) ? value : value.trim()
    if (given !== '') input[name] = given
  }
  const parsed = CONFIG_SCHEMA.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const name = String(issue?.path[0] ?? 'configuration')
    throw new ConfigError(name, oneLine(issue?.message ?? 'is invalid'))
  }
  const vars = parsed.data
  const fields = Object.fromEntries(
    Object.entries(vars).map(([name, value]) => [camelCase(name), value]),
  ) as EnvConfig

  if (vars.REDIS_CLUSTER_NODES.length > 0 && vars.REDIS_SENTINELS.length > 0) {
    // Two topologies at once is a deployment mistake; guessing which one was meant is worse.
    throw new ConfigError('REDIS_SENTINELS', 'cannot be set together with REDIS_CLUSTER_NODES')
  }
  // Browsers drop a SameSite=None cookie that is not Secure, and a __Secure- one likewise.
  if (!vars.COOKIE_SECURE && vars.COOKIE_SAMESITE === 'none') {
    throw new ConfigError('COOKIE_SAMESITE', 'none requires COOKIE_SECURE=true')
  }
  if (!vars.COOKIE_SECURE && /^__secure-/i.test(vars.REFRESH_COOKIE_NAME)) {
    throw new ConfigError(
      'REFRESH_COOKIE_NAME',
      'with the __Secure- prefix requires COOKIE_SECURE=true',
    )
  }
  // A cluster or Sentinel deployment in production without REDIS_URL takes its credentials
  // from REDIS_PASSWORD alone, never from the seed's.
  const redisUrlGiven = input.REDIS_URL !== undefined
  let redisUrl =
    vars.NODE_ENV === 'production' && !redisUrlGiven ? 'redis://127.0.0.1:6379' : vars.REDIS_URL
  if (vars.REDIS_PASSWORD !== null) {
    const url = new URL(redisUrl)
    url.password = encodeURIComponent(vars.REDIS_PASSWORD)
    redisUrl = url.toString()
  }

  const jwtKeys = readSigningJwks(
    vars.JWT_ALGORITHM,
    { keysFile: vars.JWT_KEYS_FILE, pemFile: vars.JWT_PRIVATE_KEY_FILE },
    readFile,
  )
  if (vars.NODE_ENV === 'production' && vars.JWT_SECRET === null) {
    if (vars.JWT_ALGORITHM === 'HS256') {
      throw new ConfigError('JWT_SECRET', 'is required when NODE_ENV=production')
    }
    // Refresh tokens are still HMAC-authenticated: a per-process key would log everyone out.
    if (vars.REFRESH_TOKEN_SECRET === null) {
      throw new ConfigError(
        'REFRESH_TOKEN_SECRET',
        `is required when NODE_ENV=production and JWT_ALGORITHM=${vars.JWT_ALGORITHM} (or JWT_SECRET to derive it from)`,
      )
    }
  }
  refuseInsecureProduction(vars)
  if (
    vars.NODE_ENV === 'production' &&
    vars.TOKEN_STORE === 'redis' &&
    !redisUrlGiven &&
    vars.REDIS_CLUSTER_NODES.length === 0 &&
    vars.REDIS_SENTINELS.length === 0
  ) {
    throw new ConfigError(
      'REDIS_URL',
      'is required when NODE_ENV=production (or REDIS_CLUSTER_NODES or REDIS_SENTINELS); the development default is not used in production',
    )
  }
  const { jwtKeysFile: _keysFile, jwtPrivateKeyFile: _pemFile, ...rest } = fields
  return {
    ...rest,
    redisUrl,
    jwtKeys,
    jwtSecret: vars.JWT_SECRET ?? randomBytes(32),
    jwtSecretGenerated: vars.JWT_SECRET === null,
  }
}

/**
 * With `NODE_ENV=production`, stops at the first setting that leaves the deployment open
 * (see {@link INSECURE_SETTINGS}) unless `ALLOW_INSECURE` names it.
 */
function refuseInsecureProduction(vars: z.output<typeof CONFIG_SCHEMA>): void {
  if (vars.NODE_ENV !== 'production') return
  const allowed = new Set<InsecureSetting>(vars.ALLOW_INSECURE)
  const unless = (setting: InsecureSetting) => `unless ALLOW_INSECURE names ${setting}`
  if (!vars.COOKIE_SECURE && !allowed.has('COOKIE_SECURE')) {
    throw new ConfigError(
      'COOKIE_SECURE',
      `must be true when NODE_ENV=production (false sends the refresh cookie over plain HTTP), ${unless('COOKIE_SECURE')}`,
    )
  }
  for (const name of ['JWT_SECRET', 'REFRESH_TOKEN_SECRET'] as const) {
    const secret = vars[name]
    if (secret === null || allowed.has(name)) continue
    const bits = estimateSecretBits(secret.toString('utf8'))
    if (bits < MIN_SECRET_ENTROPY_BITS) {
      throw new ConfigError(
        name,
        `has little entropy (about ${Math.floor(bits)} bits by estimate, ${MIN_SECRET_ENTROPY_BITS} needed: it repeats itself, runs in sequence or uses few characters); with NODE_ENV=production use a random one (openssl rand -base64 32), ${unless(name)}`,
      )
    }
  }
  if (
    LOGIN_LIMIT_VARIABLES.length > 0 &&
    LOGIN_LIMIT_VARIABLES.every((name) => vars[name] === 0) &&
    !allowed.has('LOGIN_LIMITS')
  ) {
    throw new ConfigError(
      LOGIN_LIMIT_VARIABLES.join(', '),
      `are all 0, which turns every login limit off: refused when NODE_ENV=production, ${unless('LOGIN_LIMITS')}`,
    )
  }
}
