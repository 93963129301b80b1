import type { TokenResponse } from '@refresh-kit/shared'
import request from 'supertest'
import { createTokenKeys } from '../../src/access-tokens/keys.js'
import { type AuthServiceOptions, createAuthService } from '../../src/auth-service.js'
import { loadConfig } from '../../src/config/load.js'
import { authSettingsOf } from '../../src/config/part-options.js'
import {
  createAbuseLimits,
  DEFAULT_ABUSE_LIMIT_RULES,
} from '../../src/credentials/limits/abuse-limits.js'
import { createPasswordHasher } from '../../src/credentials/password-hashing.js'
import { createApp } from '../../src/http/app.js'
import type { Logger } from '../../src/logger.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import type { TokenStore } from '../../src/store/types.js'

/** A secret of the right length, fixed so failures are reproducible. */
export const JWT_SECRET = 'test-secret-0123456789abcdefghijklmnopqrstuvwxyz'

/** A clock the test moves by hand. */
export interface ManualClock {
  (): number
  advance(seconds: number): void
  set(ms: number): void
}

export function manualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let now = start
  const clock = (() => now) as ManualClock
  clock.advance = (seconds) => {
    now += seconds * 1000
  }
  clock.set = (ms) => {
    now = ms
  }
  return clock
}

/** scrypt at a cost tests can afford; production uses 2^17. */
export const cheapPasswords = createPasswordHasher({ cost: 2 ** 10, blockSize: 8 })

/** The token service's settings as the config schema resolves them with nothing set. */
export const settings = authSettingsOf(loadConfig({}))

/** `createAccessTokens` settings, the same defaults. */
export const accessSettings = {
  issuer: settings.issuer,
  audience: settings.audience,
  ttlSeconds: settings.accessTokenTtlSeconds,
  clockToleranceSeconds: settings.clockToleranceSeconds,
}

/** `createJwksVerifier` claim checks, the same defaults. */
export const claimChecks = {
  issuer: settings.issuer,
  audience: settings.audience,
  clockToleranceSeconds: settings.clockToleranceSeconds,
}

export interface HarnessOptions extends Partial<Omit<AuthServiceOptions, 'store' | 'keys'>> {
  store?: TokenStore
  corsOrigins?: string[]
  trustProxy?: boolean | number
  logger?: Logger
  jwtSecret?: string
  /** Failed logins per (username, address) of the default limits. @default 5 */
  loginMaxFailures?: number
}

/** An app on a store (in memory unless given), with a manual clock and cheap passwords. */
export function setup(options: HarnessOptions = {}) {
  const clock = (options.clock as ManualClock | undefined) ?? manualClock()
  const store = options.store ?? createMemoryStore({ now: clock })
  const keys = createTokenKeys({ jwtSecret: options.jwtSecret ?? JWT_SECRET })
  const {
    corsOrigins,
    trustProxy,
    logger,
    jwtSecret: _secret,
    loginMaxFailures,
    ...serviceOptions
  } = options
  const tokens = createAuthService({
    ...settings,
    passwords: cheapPasswords,
    // Tests register and log in many users from one address: the per-address attempt and
    // registration limits are off unless a test passes its own limits.
    limits: createAbuseLimits({
      rules: {
        ...DEFAULT_ABUSE_LIMIT_RULES,
        loginFailuresPerPair: {
          points: loginMaxFailures ?? DEFAULT_ABUSE_LIMIT_RULES.loginFailuresPerPair.points,
          durationSeconds: DEFAULT_ABUSE_LIMIT_RULES.loginFailuresPerPair.durationSeconds,
        },
        loginAttemptsPerAddress: { points: 0, durationSeconds: 60 },
        registrationsPerAddress: { points: 0, durationSeconds: 3600 },
      },
    }),
    ...serviceOptions,
    clock,
    store,
    keys,
  })
  const app = createApp({
    auth: tokens,
    store,
    ...(corsOrigins === undefined ? {} : { corsOrigins }),
    ...(trustProxy === undefined ? {} : { trustProxy }),
    ...(logger === undefined ? {} : { logger }),
  })
  const http = request(app.callback())
  let counter = 0

  /** Registers a fresh user and logs in; returns its credentials and first token pair. */
  const signIn = async (name?: string) => {
    counter += 1
    const username = name ?? `user${counter}.${Math.random().toString(36).slice(2, 8)}`
    const password = 'correct horse battery'
    const registered = await http.post('/auth/register').send({ username, password })
    if (registered.status !== 201)
      throw new Error(`register failed: ${registered.status} ${registered.text}`)
    const login = await http.post('/auth/login').send({ username, password })
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`)
    return {
      username,
      password,
      userId: registered.body.user.id as string,
      pair: login.body as TokenResponse,
    }
  }
  return { app, http, clock, store, keys, tokens, signIn }
}
