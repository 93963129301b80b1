import { randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TokenKeys, TokenStore } from '@refresh-kit/server'
import {
  authSettingsOf,
  createAbuseLimits,
  createApp,
  createAuthService,
  createMemoryStore,
  createPasswordHasher,
  createRedisStore,
  createTokenKeys,
  failFastRedisOptions,
  loadConfig,
} from '@refresh-kit/server'
import { Redis } from 'ioredis'

/** A clock a test moves by hand. */
export interface ManualClock {
  (): number
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void
}

/**
 * A clock that stands still until the test moves it.
 *
 * @example
 * ```ts
 * const clock = manualClock()
 * clock.advance(15 * 60_000)
 * ```
 */
export function manualClock(start = Date.now()): ManualClock {
  let now = start
  const clock = (() => now) as ManualClock
  clock.advance = (ms) => {
    now += ms
  }
  return clock
}

/** Options of {@link startInProcessServer}. */
export interface InProcessOptions {
  /** Every session expiry is decided on it (rate-limit windows run on real time). @default Date.now */
  clock?: () => number
  /** Real scrypt (the default, 2^17) instead of a cheap cost; for timing tests. @default false */
  realPasswordCost?: boolean
  /** Trusted proxy hops (`TRUST_PROXY`). @default false */
  trustProxy?: boolean | number
  /** Failed logins per (username, address) (`LOGIN_MAX_FAILURES`). @default 5 */
  loginMaxFailures?: number
  /** Failed logins per address (`LOGIN_MAX_FAILURES_PER_ADDRESS`); 0 turns it off. @default 100 */
  loginMaxFailuresPerAddress?: number
  /** Failed logins per username from strangers (`LOGIN_MAX_FAILURES_PER_USER`); 0 turns it off. @default 10 */
  loginMaxFailuresPerUser?: number
  /** The window of the failure limits, in seconds. @default 900 */
  loginFailureWindowSeconds?: number
  /** @default the service's default (5) */
  clockToleranceSeconds?: number
  /** Access-token lifetime in seconds. @default the service's default (900) */
  accessTokenTtlSeconds?: number
  /** The token keys. @default HS256 keys from a random 48-byte secret */
  keys?: TokenKeys
  /**
   * Keep users and sessions in this Redis (the production store, Lua scripts included)
   * instead of process memory. Rate-limit windows then follow Redis's own clock.
   * @default the in-memory store
   */
  redis?: { url: string; keyPrefix: string }
}

/** The token server app, listening on a loopback port in this process. */
export interface InProcessServer {
  readonly url: string
  /** The HS256 secret of access tokens (unused when `keys` were given). */
  readonly jwtSecret: string
  /** Errors the app reported (`app.emit('error')`): each one is a 500. */
  readonly appErrors: unknown[]
  close(): Promise<void>
}

/**
 * Builds the app as `main.ts` does (store, token service, keys), with an injected
 * clock and an optionally cheap password cost, and listens on a free loopback port.
 *
 * @example
 * ```ts
 * const server = await startInProcessServer({ clock })
 * await httpRequest(`${server.url}/healthz`)
 * ```
 */
export async function startInProcessServer(
  options: InProcessOptions = {},
): Promise<InProcessServer> {
  const jwtSecret = randomBytes(48).toString('base64url')
  const clock = options.clock ?? Date.now
  const redis =
    options.redis === undefined
      ? undefined
      : new Redis(options.redis.url, { ...failFastRedisOptions })
  // Without an offline queue, a command sent before the connection is ready fails: wait, as main.ts does.
  if (redis !== undefined && redis.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', resolve)
      redis.once('end', () => reject(new Error('the Redis connection closed before it was ready')))
    })
  }
  const store: TokenStore =
    options.redis === undefined || redis === undefined
      ? createMemoryStore({ now: clock })
      : createRedisStore({ redis, keyPrefix: options.redis.keyPrefix })
  const tokens = createAuthService({
    ...authSettingsOf(loadConfig({})),
    store,
    keys: options.keys ?? createTokenKeys({ jwtSecret }),
    clock,
    passwords:
      options.realPasswordCost === true
        ? createPasswordHasher()
        : createPasswordHasher({ cost: 2 ** 4 }),
    // The parts send everything from one address: the per-address attempt and registration
    // limits stay off here; the failure limits are on, in Redis when the store is.
    limits: createAbuseLimits({
      ...(redis === undefined ? {} : { redis }),
      keyPrefix: options.redis?.keyPrefix ?? 'rk:',
      rules: {
        loginFailuresPerPair: {
          points: options.loginMaxFailures ?? 5,
          durationSeconds: options.loginFailureWindowSeconds ?? 900,
        },
        loginFailuresPerAddress: {
          points: options.loginMaxFailuresPerAddress ?? 100,
          durationSeconds: options.loginFailureWindowSeconds ?? 900,
        },
        loginFailuresPerUser: {
          points: options.loginMaxFailuresPerUser ?? 10,
          durationSeconds: options.loginFailureWindowSeconds ?? 900,
        },
        loginAttemptsPerAddress: { points: 0, durationSeconds: 60 },
        registrationsPerAddress: { points: 0, durationSeconds: 3600 },
      },
    }),
    ...(options.accessTokenTtlSeconds === undefined
      ? {}
      : { accessTokenTtlSeconds: options.accessTokenTtlSeconds }),
    ...(options.clockToleranceSeconds === undefined
      ? {}
      : { clockToleranceSeconds: options.clockToleranceSeconds }),
  })
  const appErrors: unknown[] = []
  const app = createApp({
    auth: tokens,
    store,
    trustProxy: options.trustProxy ?? false,
    logger: {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (_msg, fields) => appErrors.push(fields?.cause),
    },
  })
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    jwtSecret,
    appErrors,
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error === undefined ? resolve() : reject(error)))
      })
      await store.close()
      await redis?.quit()
    },
  }
}
