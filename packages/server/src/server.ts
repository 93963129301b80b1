import type { Cluster, Redis } from 'ioredis'
import type Koa from 'koa'
import type { AccessTokenClaimsHook } from './access-tokens/custom-claims.js'
import { createTokenKeys } from './access-tokens/keys.js'
import { createMemoryRevocations } from './access-tokens/revocation/memory-revocations.js'
import { createRedisRevocations } from './access-tokens/revocation/redis-revocations.js'
import type { AccessTokenRevocations } from './access-tokens/revocation/types.js'
import { type AuthService, createAuthService } from './auth-service.js'
import type { Clock } from './clock.js'
import type { ServerConfig } from './config/load.js'
import { abuseLimitRulesOf, authSettingsOf } from './config/part-options.js'
import { createHashQueue } from './credentials/hash-queue.js'
import { createAbuseLimits } from './credentials/limits/abuse-limits.js'
import type { PasswordHasher } from './credentials/password-hashing.js'
import type { UserAdapter } from './credentials/users/types.js'
import { type AuthEvents, createAuthEvents } from './events/auth-events.js'
import { logSecurityEvents } from './events/security-log.js'
import { createApp } from './http/app.js'
import { createLogger, type Logger } from './logger.js'
import { createMetrics, type ServerMetrics } from './metrics/metrics.js'
import { createMemoryStore } from './store/memory-store.js'
import { createRedisStore } from './store/redis-store.js'
import type { TokenStore } from './store/types.js'

/** Dependencies of {@link createServerFromConfig} that configuration cannot hold. */
export interface ServerDependencies {
  /**
   * The Redis client (built with `failFastRedisOptions`) when `config.tokenStore` is
   * `'redis'`; the server never closes it. Required for the Redis store.
   */
  redis?: Redis | Cluster
  /** @default `createLogger({ level: config.logLevel, format: config.logFormat })` */
  logger?: Logger
  /**
   * The service's clock. Given, it also dates the sessions in Redis; left out, the Redis
   * server's own clock does, so instances whose clocks differ share one grace window.
   * @default Date.now
   */
  clock?: Clock
  /** @default createPasswordHasher() (scrypt N=2^17, r=8, p=1) */
  passwords?: PasswordHasher
  /** Where users live (see `UserAdapter`). @default users in the token store */
  users?: UserAdapter
  /** Extra access-token claims (see `AccessTokenClaimsHook`). @default none */
  accessTokenClaims?: AccessTokenClaimsHook
  /**
   * The events bus; subscribe before or after, the security log and the metrics are
   * subscribed here. @default a new `createAuthEvents()`
   */
  events?: AuthEvents
}

/** Refuses nothing: `ACCESS_TOKEN_REVOCATION=false`, access tokens live until they expire. */
const NO_REVOCATIONS: AccessTokenRevocations = {
  revoke: async () => {},
  assertNotRevoked: () => {},
  ready: async () => {},
  size: () => ({ sessions: 0, users: 0 }),
  close: async () => {},
}

/** A token server assembled from configuration, not yet listening. */
export interface ConfiguredServer {
  app: Koa
  auth: AuthService
  store: TokenStore
  logger: Logger
  /** The events the token service emits (`server.events.on('login', ...)`). */
  events: AuthEvents
  /** The Prometheus metrics when `config.metricsPort` is set, else `null`. */
  metrics: ServerMetrics | null
  /** Where ended sessions are recorded and checked (see `createRedisRevocations`). */
  revocations: AccessTokenRevocations
  /**
   * Resolves once the recorded revocations are loaded; listen only then, or requests with
   * an access token answer `503` until they are.
   */
  ready(): Promise<void>
  /**
   * Releases what the server opened (the store, the revocation subscriber), never the Redis
   * client it was given.
   */
  close(): Promise<void>
}

/**
 * Assembles store, keys, token service and Koa app from a {@link ServerConfig}: what
 * `main.ts`, the demo and the benchmarks share. It reads no environment and opens no
 * connection; with `tokenStore: 'redis'` it needs the caller's client, never falling back
 * to memory.
 *
 * @throws TypeError when the Redis store is configured and no `redis` client is given.
 * @example
 * ```ts
 * const redis = new Redis(config.redisUrl, { ...failFastRedisOptions })
 * const server = createServerFromConfig(loadConfig(process.env), { redis })
 * server.app.listen(config.port)
 * ```
 */
export function createServerFromConfig(
  config: ServerConfig,
  dependencies: ServerDependencies = {},
): ConfiguredServer {
  const logger =
    dependencies.logger ?? createLogger({ level: config.logLevel, format: config.logFormat })
  const clock = dependencies.clock ?? Date.now
  let store: TokenStore
  if (config.tokenStore === 'redis') {
    if (dependencies.redis === undefined) {
      throw new TypeError(
        'createServerFromConfig: dependencies.redis is required when tokenStore is "redis"',
      )
    }
    store = createRedisStore({
      redis: dependencies.redis,
      keyPrefix: config.redisKeyPrefix,
      // An injected clock governs the sessions too (tests move it); otherwise Redis's own does.
      clock: dependencies.clock === undefined ? 'redis' : 'caller',
    })
  } else {
    store = createMemoryStore({ now: clock })
  }
  const refreshSecret =
    config.refreshTokenSecret === null ? {} : { refreshTokenSecret: config.refreshTokenSecret }
  const keys =
    config.jwtAlgorithm === 'HS256'
      ? createTokenKeys({ algorithm: 'HS256', jwtSecret: config.jwtSecret, ...refreshSecret })
      : createTokenKeys({
          algorithm: config.jwtAlgorithm,
          signingKeys: config.jwtKeys,
          jwtSecret: config.jwtSecret,
          ...refreshSecret,
        })
  if (keys.access.kid !== undefined) {
    logger.info('access tokens are signed with an asymmetric key', {
      algorithm: keys.access.algorithm,
      signingKid: keys.access.kid,
      verificationKids: keys.access.publicJwks.map((jwk) => jwk.kid),
    })
  }
  const events =
    dependencies.events ??
    createAuthEvents({
      onHandlerError: (error, event) => logger.error('an event handler failed', { event, error }),
    })
  logSecurityEvents(events, logger)
  let metrics: ServerMetrics | null = null
  if (config.metricsPort !== null) {
    metrics = createMetrics()
    metrics.observe(events)
  }
  const revocations = !config.accessTokenRevocation
    ? NO_REVOCATIONS
    : config.tokenStore === 'redis' && dependencies.redis !== undefined
      ? createRedisRevocations({
          redis: dependencies.redis,
          keyPrefix: config.redisKeyPrefix,
          accessTokenTtlSeconds: config.accessTokenTtl,
          clockToleranceSeconds: config.clockTolerance,
          clock,
          logger,
        })
      : createMemoryRevocations({
          accessTokenTtlSeconds: config.accessTokenTtl,
          clockToleranceSeconds: config.clockTolerance,
          clock,
        })
  const auth = createAuthService({
    ...authSettingsOf(config),
    store,
    keys,
    clock,
    events,
    ...(dependencies.users === undefined ? {} : { users: dependencies.users }),
    ...(dependencies.accessTokenClaims === undefined
      ? {}
      : { accessTokenClaims: dependencies.accessTokenClaims }),
    revocations,
    ...(dependencies.passwords === undefined ? {} : { passwords: dependencies.passwords }),
    // The counters live where the sessions do: in Redis, shared by every instance.
    limits: createAbuseLimits({
      ...(config.tokenStore === 'redis' && dependencies.redis !== undefined
        ? { redis: dependencies.redis }
        : {}),
      keyPrefix: config.redisKeyPrefix,
      rules: abuseLimitRulesOf(config),
    }),
    hashQueue: createHashQueue({
      concurrency: config.passwordHashConcurrency,
      queueSize: config.passwordHashQueue,
    }),
  })
  const app = createApp({
    auth,
    store,
    logger,
    corsOrigins: config.corsOrigins,
    refreshTokenTransport: {
      mode: config.refreshTokenTransport,
      cookieName: config.refreshCookieName,
      secure: config.cookieSecure,
      sameSite: config.cookieSamesite,
      domain: config.cookieDomain,
    },
    trustProxy: config.trustProxy,
    proxyHeader: config.trustProxyHeader,
    ...(metrics === null ? {} : { metrics }),
  })
  return {
    app,
    auth,
    store,
    logger,
    revocations,
    events,
    metrics,
    ready: () => revocations.ready(),
    close: async () => {
      await revocations.close()
      await store.close()
    },
  }
}
