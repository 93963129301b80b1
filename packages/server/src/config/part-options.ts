import type { AuthSettings } from '../auth-service.js'
import {
  type AbuseLimitRules,
  ADDRESS_FAILURE_WINDOW_SECONDS,
  LOGIN_RATE_WINDOW_SECONDS,
  REGISTER_RATE_WINDOW_SECONDS,
} from '../credentials/limits/abuse-limits.js'
import type { ServerConfig } from './load.js'

/**
 * The login and registration limits of a configuration, for `createAbuseLimits`.
 *
 * @example
 * ```ts
 * const limits = createAbuseLimits({ redis, keyPrefix: config.redisKeyPrefix, rules: abuseLimitRulesOf(config) })
 * ```
 */
export function abuseLimitRulesOf(config: ServerConfig): Required<AbuseLimitRules> {
  return {
    loginFailuresPerPair: {
      points: config.loginMaxFailures,
      durationSeconds: config.loginFailureWindow,
    },
    loginFailuresPerAddress: {
      points: config.loginMaxFailuresPerAddress,
      durationSeconds: ADDRESS_FAILURE_WINDOW_SECONDS,
    },
    loginFailuresPerUser: {
      points: config.loginMaxFailuresPerUser,
      durationSeconds: config.loginFailureWindow,
    },
    loginAttemptsPerAddress: {
      points: config.loginRateLimit,
      durationSeconds: LOGIN_RATE_WINDOW_SECONDS,
    },
    registrationsPerAddress: {
      points: config.registerRateLimit,
      durationSeconds: REGISTER_RATE_WINDOW_SECONDS,
    },
  }
}

/**
 * The token service's settings out of a configuration, so `createAuthService` gets every
 * value resolved and declares no default of its own.
 *
 * @example
 * ```ts
 * const tokens = createAuthService({ ...authSettingsOf(config), store, keys })
 * ```
 */
export function authSettingsOf(config: ServerConfig): AuthSettings {
  return {
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    accessTokenTtlSeconds: config.accessTokenTtl,
    refreshTokenTtlSeconds: config.refreshTokenTtl,
    sessionMaxAgeSeconds: config.sessionMaxAge,
    reuseGraceSeconds: config.refreshReuseGrace,
    clockToleranceSeconds: config.clockTolerance,
    maxSessionsPerUser: config.maxSessionsPerUser,
    passwordMinScore: config.passwordMinScore,
    passwordMinLength: config.passwordMinLength,
  }
}
