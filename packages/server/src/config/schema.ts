import { z } from 'zod'
import { ACCESS_TOKEN_ALGORITHMS } from '../access-tokens/algorithms.js'
import { MIN_SECRET_BYTES } from '../access-tokens/keys.js'
import { MIN_SECRET_ENTROPY_BITS } from '../access-tokens/secret-entropy.js'
import { DEFAULT_SCRYPT_MEMORY_BYTES } from '../credentials/password-hashing.js'
import { show } from '../lib/text.js'

/** A `host:port` of a Redis Cluster node or a Redis Sentinel. */
export interface ClusterNodeAddress {
  host: string
  port: number
}

/** How a variable is documented in the README's generated configuration table. */
export interface VariableDoc {
  /** What the variable does, one line of Markdown. */
  description: string
  /** The default as the table shows it, when it is not the schema's default value. */
  shownDefault?: string
}

/** The documentation of every variable of {@link CONFIG_SCHEMA}, for the README table. */
export const configDocs = z.registry<VariableDoc>()

// A parse step that fails with a sentence; `variable()` turns it into a zod issue.
class Problem extends Error {}
const fail = (problem: string): never => {
  throw new Problem(problem)
}

/** A variable parsed from its (trimmed, non-empty) text by `parse`, which may `fail()`. */
function variable<T>(parse: (value: string) => T) {
  return z.string().transform((value, ctx): T => {
    try {
      return parse(value)
    } catch (error) {
      if (!(error instanceof Problem)) throw error
      ctx.addIssue({ code: 'custom', message: error.message, input: value })
      return z.NEVER
    }
  })
}

const MAX_SECONDS = 10 * 365 * 24 * 3600

const integer = (min: number, max: number) =>
  variable((value) =>
    /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max
      ? Number(value)
      : fail(`must be a whole number from ${min} to ${max}, got ${show(value)}`),
  )

const seconds = (min = 1) => integer(min, MAX_SECONDS)

const oneOf = <const T extends readonly string[]>(values: T, caseless = false) =>
  variable((value) => {
    const given = caseless ? value.toLowerCase() : value
    return (values as readonly string[]).includes(given)
      ? (given as T[number])
      : fail(`must be one of ${values.join('|')}, got ${show(value)}`)
  })

const noSpaces = (max: number) =>
  variable((value) =>
    /\s/.test(value) || value.length > max
      ? fail(`must be at most ${max} characters without spaces, got ${show(value)}`)
      : value,
  )

const secret = () =>
  variable((value) => {
    const bytes = Buffer.from(value, 'utf8')
    return bytes.length < MIN_SECRET_BYTES
      ? fail(`must be at least ${MIN_SECRET_BYTES} bytes, got ${bytes.length}`)
      : bytes
  })

const list = <T>(item: (entry: string) => T) =>
  variable((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '')
      .map(item),
  )

const hostPorts = () =>
  list((entry): ClusterNodeAddress => {
    const match = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(entry)
    const port = Number(match?.[2])
    if (match?.[1] === undefined || port < 1 || port > 65535) {
      return fail(`must be comma-separated host:port, got ${show(entry)}`)
    }
    return { host: match[1].replace(/^\[|\]$/g, ''), port }
  })

const boolean = () =>
  variable((value) => {
    const given = value.toLowerCase()
    return ['true', '1'].includes(given)
      ? true
      : ['false', '0'].includes(given)
        ? false
        : fail(`must be true or false, got ${show(value)}`)
  })

// The compose Redis with the seed's password: a development convenience, never a production default.
const DEVELOPMENT_REDIS_URL = 'redis://:abcd1234@127.0.0.1:6379'

const doc = (description: string, shownDefault?: string): VariableDoc =>
  shownDefault === undefined ? { description } : { description, shownDefault }

// The schemas of the login limits, filled by loginLimit(): a limit declared with it is one
// production refuses to see turned off together with all the others.
const loginLimitSchemas = new Set<z.ZodType>()

/** A login limit: at most `points` (its default) per window, `0` turning it off. */
function loginLimit(points: number, description: string) {
  const schema = integer(0, 1_000_000).default(points).register(configDocs, doc(description))
  loginLimitSchemas.add(schema)
  return schema
}

/**
 * What `ALLOW_INSECURE` may name: settings `NODE_ENV=production` refuses unless named there,
 * so that running with one is a choice written down. `LOGIN_LIMITS` stands for every login
 * limit turned off at once ({@link LOGIN_LIMIT_VARIABLES}).
 */
export const INSECURE_SETTINGS = [
  'COOKIE_SECURE',
  'JWT_SECRET',
  'REFRESH_TOKEN_SECRET',
  'LOGIN_LIMITS',
] as const

/** A setting `ALLOW_INSECURE` may name. */
export type InsecureSetting = (typeof INSECURE_SETTINGS)[number]

/** Log levels, lowest first; `silent` logs nothing. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const

/**
 * Every environment variable of the server, once: how it is parsed, its bounds, its default
 * and its line in the README (`pnpm docs:config` writes the table, `pnpm check:docs` checks
 * it). Adding a variable is one entry here; `ServerConfig` gains its camel-cased field.
 * Unset and empty (after trimming) are the same.
 */
export const CONFIG_SCHEMA = z.object({
  PORT: integer(0, 65535)
    .default(3000)
    .register(configDocs, doc('HTTP port; `0` picks a free one')),
  HOST: z.string().default('0.0.0.0').register(configDocs, doc('bind address')),
  NODE_ENV: z
    .string()
    .default('development')
    .register(
      configDocs,
      doc(
        '`production` requires `JWT_SECRET` (or keys and `REFRESH_TOKEN_SECRET`) and `REDIS_URL` (or the cluster or Sentinel variables), and refuses the insecure settings of `ALLOW_INSECURE`',
      ),
    ),
  // Documented below the schema: its description lists the login limits the schema declares.
  ALLOW_INSECURE: list((entry) =>
    (INSECURE_SETTINGS as readonly string[]).includes(entry)
      ? (entry as InsecureSetting)
      : fail(
          `must be a comma-separated list of ${INSECURE_SETTINGS.join(', ')}, got ${show(entry)}`,
        ),
  ).default([]),
  LOG_LEVEL: oneOf(LOG_LEVELS, true)
    .default('info')
    .register(configDocs, doc('`debug`, `info`, `warn`, `error` or `silent`')),
  LOG_FORMAT: oneOf(['json', 'pretty'] as const)
    .default('json')
    .register(
      configDocs,
      doc(
        '`json`: one JSON object per line on stdout, each with the request id; `pretty` for reading in a terminal',
      ),
    ),
  TOKEN_STORE: oneOf(['redis', 'memory'] as const)
    .default('redis')
    .register(
      configDocs,
      doc('`redis`, or `memory` for zero-setup single-process development (never chosen silently)'),
    ),
  REDIS_URL: variable((value) => {
    let url: URL | undefined
    try {
      url = new URL(value)
    } catch {
      url = undefined
    }
    return url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
      ? fail('must be a redis:// or rediss:// URL')
      : value
  })
    .default(DEVELOPMENT_REDIS_URL)
    .register(
      configDocs,
      doc(
        'a single Redis (the compose one); no default with `NODE_ENV=production`',
        '`redis://:abcd1234@127.0.0.1:6379` outside production',
      ),
    ),
  REDIS_CLUSTER_NODES: hostPorts()
    .default([])
    .register(
      configDocs,
      doc('comma-separated `host:port` of cluster nodes; uses an ioredis `Cluster`', 'empty'),
    ),
  REDIS_SENTINELS: hostPorts()
    .default([])
    .register(
      configDocs,
      doc(
        'comma-separated `host:port` of Sentinels; not together with `REDIS_CLUSTER_NODES`',
        'empty',
      ),
    ),
  REDIS_SENTINEL_NAME: noSpaces(128)
    .default('mymaster')
    .register(configDocs, doc('the master group the Sentinels watch')),
  REDIS_PASSWORD: z
    .string()
    .nullable()
    .default(null)
    .register(
      configDocs,
      doc(
        'password of the Redis nodes (standalone, cluster, Sentinel-managed) and of the Sentinels; overrides the one in `REDIS_URL`',
        'unset',
      ),
    ),
  REDIS_KEY_PREFIX: noSpaces(64).default('rk:').register(configDocs, doc('prefix of every key')),
  JWT_ALGORITHM: oneOf(ACCESS_TOKEN_ALGORITHMS)
    .default('HS256')
    .register(
      configDocs,
      doc(
        `${ACCESS_TOKEN_ALGORITHMS.map((alg) => `\`${alg}\``).join(', ')}; see "Signing algorithms"`,
      ),
    ),
  JWT_SECRET: secret()
    .nullable()
    .default(null)
    .register(
      configDocs,
      doc(
        `HS256 key, at least ${MIN_SECRET_BYTES} bytes; required when \`NODE_ENV=production\``,
        'generated per process outside production, with a warning',
      ),
    ),
  JWT_KEYS_FILE: z
    .string()
    .nullable()
    .default(null)
    .register(
      configDocs,
      doc('a JWK set of private keys, oldest first, for asymmetric signing with rotation', 'unset'),
    ),
  JWT_PRIVATE_KEY_FILE: z
    .string()
    .nullable()
    .default(null)
    .register(
      configDocs,
      doc('one PEM private key for asymmetric signing (not with `JWT_KEYS_FILE`)', 'unset'),
    ),
  REFRESH_TOKEN_SECRET: secret()
    .nullable()
    .default(null)
    .register(
      configDocs,
      doc(
        `HMAC key of refresh tokens, at least ${MIN_SECRET_BYTES} bytes`,
        'derived from `JWT_SECRET` (HKDF)',
      ),
    ),
  JWT_ISSUER: z
    .string()
    .default('refresh-kit')
    .register(configDocs, doc('`iss` of access tokens, checked on verify')),
  JWT_AUDIENCE: z
    .string()
    .default('refresh-kit')
    .register(configDocs, doc('`aud` of access tokens, checked on verify')),
  // Revocation records are kept this long: an access token outlives nothing for long.
  ACCESS_TOKEN_TTL: integer(1, 3600)
    .default(900)
    .register(configDocs, doc('access-token lifetime, seconds, at most 3600')),
  ACCESS_TOKEN_REVOCATION: boolean()
    .default(true)
    .register(
      configDocs,
      doc(
        'refuse the access tokens of ended sessions at once, on every instance; `false` keeps them valid until they expire (for measuring what the check costs)',
      ),
    ),
  PASSWORD_MIN_LENGTH: integer(1, 1024)
    .default(15)
    .register(
      configDocs,
      doc(
        'fewest characters of a new password (register and change); logins never check it, so no account is locked out by raising it. 15 is NIST SP 800-63B-4 for a password that is the only factor',
      ),
    ),
  PASSWORD_MIN_SCORE: integer(0, 4)
    .default(3)
    .register(
      configDocs,
      doc(
        'zxcvbn score (0 to 4) a new password must reach at register and change; `0` turns the check off',
      ),
    ),
  REFRESH_TOKEN_TTL: seconds()
    .default(604_800)
    .register(configDocs, doc('sliding (idle) lifetime of a session, seconds')),
  SESSION_MAX_AGE: seconds()
    .default(2_592_000)
    .register(configDocs, doc('absolute lifetime of a session from login, seconds')),
  // Chosen with the SDK's refresh and lock timeouts: a retried lost answer lands inside it.
  // The SDK's bounds are checked against the protocol's DEFAULT_REFRESH_REUSE_GRACE_SECONDS,
  // which a test keeps equal to this.
  REFRESH_REUSE_GRACE: seconds(0)
    .default(30)
    .register(
      configDocs,
      doc(
        'seconds in which the immediately previous refresh token gets the same successor; keep it above the SDK retry bounds (see "Lost answers never sign a user out")',
      ),
    ),
  CLOCK_TOLERANCE: integer(0, 300)
    .default(5)
    .register(configDocs, doc('leeway on `exp` and `nbf`, seconds')),
  LOGIN_MAX_FAILURES: loginLimit(
    5,
    'failed logins per (username, client address) per `LOGIN_FAILURE_WINDOW`, reserved before the password is verified; then `429`. Protects one account from guessing at one address',
  ),
  LOGIN_FAILURE_WINDOW: seconds()
    .default(900)
    .register(
      configDocs,
      doc('the window of `LOGIN_MAX_FAILURES` and `LOGIN_MAX_FAILURES_PER_USER`, seconds'),
    ),
  LOGIN_MAX_FAILURES_PER_ADDRESS: loginLimit(
    100,
    'failed logins per client address per 24 h, all usernames; a device that signed in before (`rk_device`, `deviceToken`) is not counted. Protects every account from credential stuffing by one address, without locking out the known devices behind a shared address',
  ),
  LOGIN_MAX_FAILURES_PER_USER: loginLimit(
    10,
    'failed logins per username per `LOGIN_FAILURE_WINDOW`, from every address; a device that signed in to the account before (`rk_device`, `deviceToken`) is limited on its own instead (`LOGIN_MAX_FAILURES`) and still gets in. Protects one account from guessing spread over many addresses',
  ),
  LOGIN_RATE_LIMIT: loginLimit(
    60,
    'login attempts per client address per minute, successful or not. Protects the password hasher and Redis from one address',
  ),
  REGISTER_RATE_LIMIT: integer(0, 1_000_000)
    .default(10)
    .register(
      configDocs,
      doc(
        'registrations per client address per hour. Protects the hasher and the user records from mass sign-ups',
      ),
    ),
  // scrypt runs on libuv's thread pool (4 threads unless `UV_THREADPOOL_SIZE` says
  // otherwise), and two leave room for file and DNS work there.
  PASSWORD_HASH_CONCURRENCY: integer(0, 1024)
    .default(2)
    .register(
      configDocs,
      doc(
        `password hashes (scrypt) at once, each holding ${DEFAULT_SCRYPT_MEMORY_BYTES / 2 ** 20} MiB while it runs (memory: this × ${DEFAULT_SCRYPT_MEMORY_BYTES / 2 ** 20} MiB); one client address gets at most all but one; \`0\` sets no bound, on memory too`,
      ),
    ),
  // At ~100 ms a hash, two at a time, about 3 s of work.
  PASSWORD_HASH_QUEUE: integer(0, 1_000_000)
    .default(64)
    .register(
      configDocs,
      doc(
        "password hashes waiting, fair between addresses (`0`: none wait); beyond, `503` with `Retry-After` at once. Protects everyone's logins from a flood",
      ),
    ),
  MAX_SESSIONS_PER_USER: integer(0, 100_000)
    .default(50)
    .register(
      configDocs,
      doc(
        'a login beyond it ends the least recently used session; bounds every per-user Redis script and the session list',
      ),
    ),
  CORS_ORIGINS: list((entry) => {
    let origin: string | undefined
    try {
      origin = new URL(entry).origin
    } catch {
      origin = undefined
    }
    return origin !== entry || !/^https?:/.test(entry)
      ? fail(`must be comma-separated origins like http://localhost:5173, got ${show(entry)}`)
      : entry
  })
    .default([])
    .register(
      configDocs,
      doc('comma-separated origins allowed to call the API from a browser', 'empty'),
    ),
  TRUST_PROXY: variable((value) => {
    const given = value.toLowerCase()
    if (given === 'true') return 1
    if (given === 'false') return 0
    return /^\d{1,2}$/.test(given)
      ? Number(given)
      : fail(`must be a number of proxy hops (0 to 99), true (1) or false (0), got ${show(value)}`)
  })
    .default(0)
    .register(
      configDocs,
      doc(
        'trusted proxy hops: the client address, and the host and protocol the cookie transport takes as its own, are the Nth entry from the right of the header the proxies write (`TRUST_PROXY_HEADER`; ports accepted) (`true` = 1); `0` takes the socket address',
      ),
    ),
  TRUST_PROXY_HEADER: oneOf(['x-forwarded', 'forwarded'] as const)
    .default('x-forwarded')
    .register(
      configDocs,
      doc(
        'which headers the trusted proxies write: `x-forwarded` (`X-Forwarded-For`, `-Host`, `-Proto`) or `forwarded` (RFC 7239 `Forwarded`); only that family is read, since a proxy passes the other on as the client wrote it',
      ),
    ),
  REFRESH_TOKEN_TRANSPORT: oneOf(['body', 'cookie', 'both'] as const, true)
    .default('both')
    .register(
      configDocs,
      doc(
        '`body` (JSON only), `cookie` (always the `HttpOnly` cookie) or `both` (the client chooses with `X-Refresh-Token-Transport: cookie`)',
      ),
    ),
  REFRESH_COOKIE_NAME: variable((value) =>
    // RFC 6265 token characters; __Host- would demand Path=/, which the cookie never has.
    !/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/.test(value)
      ? fail(`must be 1 to 64 cookie-name characters, got ${show(value)}`)
      : /^__host-/i.test(value)
        ? fail('cannot use the __Host- prefix: the refresh cookie is scoped to the /auth path')
        : value,
  )
    .default('rk_refresh')
    .register(
      configDocs,
      doc("the refresh cookie's name (`__Secure-` allowed, `__Host-` not: its path is `/auth`)"),
    ),
  COOKIE_SECURE: variable((value) => {
    const given = value.toLowerCase()
    return ['true', '1'].includes(given)
      ? true
      : ['false', '0'].includes(given)
        ? false
        : fail(`must be true or false, got ${show(value)}`)
  })
    .default(true)
    .register(
      configDocs,
      doc(
        'mark the refresh cookie `Secure`; `false` only for plain-HTTP development off `localhost`',
      ),
    ),
  COOKIE_SAMESITE: oneOf(['strict', 'lax', 'none'] as const, true)
    .default('strict')
    .register(
      configDocs,
      doc(
        '`SameSite` of the refresh cookie: `strict`, `lax` or `none` (needs `COOKIE_SECURE=true`)',
      ),
    ),
  COOKIE_DOMAIN: variable((value) =>
    /^\.?[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(value)
      ? value
      : fail(`must be a host name, got ${show(value)}`),
  )
    .nullable()
    .default(null)
    .register(
      configDocs,
      doc(
        "`Domain` of the refresh cookie; unset, the cookie belongs to the server's host only",
        'unset',
      ),
    ),
  METRICS_PORT: integer(0, 65535)
    .nullable()
    .default(null)
    .register(
      configDocs,
      doc(
        'port of the Prometheus `GET /metrics` listener, apart from the API; `0` picks a free one',
        'unset (no metrics listener)',
      ),
    ),
  METRICS_HOST: z
    .string()
    .default('127.0.0.1')
    .register(configDocs, doc('bind address of the metrics listener')),
})

export type Shape = typeof CONFIG_SCHEMA.shape

/**
 * The login limits of {@link CONFIG_SCHEMA} (declared with `loginLimit()`), in its order:
 * with `NODE_ENV=production` they may not all be `0` unless `ALLOW_INSECURE` names
 * `LOGIN_LIMITS`.
 */
export const LOGIN_LIMIT_VARIABLES: readonly (keyof Shape)[] = (
  Object.keys(CONFIG_SCHEMA.shape) as (keyof Shape)[]
).filter((name) => loginLimitSchemas.has(CONFIG_SCHEMA.shape[name]))

configDocs.add(
  CONFIG_SCHEMA.shape.ALLOW_INSECURE,
  doc(
    `comma-separated settings \`NODE_ENV=production\` refuses unless named here (see "What production refuses"): \`COOKIE_SECURE\` (\`false\`), \`JWT_SECRET\` and \`REFRESH_TOKEN_SECRET\` (under ${MIN_SECRET_ENTROPY_BITS} bits by estimate), \`LOGIN_LIMITS\` (${LOGIN_LIMIT_VARIABLES.map((name) => `\`${name}\``).join(', ')} all \`0\`); any other name is an error`,
    'empty',
  ),
)

/**
 * The default of a variable, as `loadConfig` resolves it when the variable is unset: for
 * code that must agree with the server without reading its environment (the JWKS verifier
 * of another service).
 *
 * @example
 * ```ts
 * configDefault('CLOCK_TOLERANCE') // 5
 * ```
 */
export function configDefault<K extends keyof Shape>(name: K): z.output<Shape[K]> {
  return CONFIG_SCHEMA.shape[name].parse(undefined) as z.output<Shape[K]>
}

/**
 * Defaults of the options no environment variable sets, shared by every part that takes them
 * (`createApp` and `createAuthRouter`), so each is written once, here.
 */
export const OPTION_DEFAULTS = {
  /** `Cache-Control: max-age` of `GET /.well-known/jwks.json`, in seconds. */
  jwksMaxAgeSeconds: 300,
  /** `Retry-After` of a `503` answered while the store is unavailable, in seconds. */
  unavailableRetryAfterSeconds: 2,
} as const
