import type { PublicJwk, PublicUser, SessionInfo, TokenResponse } from '@refresh-kit/shared'
import { z } from 'zod'
import type { AccessTokenClaimsHook } from './access-tokens/custom-claims.js'
import type { TokenKeys } from './access-tokens/keys.js'
import { keptForSeconds } from './access-tokens/revocation/lib/lifetime.js'
import { createMemoryRevocations } from './access-tokens/revocation/memory-revocations.js'
import type { AccessTokenRevocations } from './access-tokens/revocation/types.js'
import { type AccessTokenVerifier, createAccessTokens } from './access-tokens/sign-and-verify.js'
import type { Clock } from './clock.js'
import { configDefault } from './config/schema.js'
import { createAccounts } from './credentials/accounts.js'
import { type ChangePasswordInput, changePassword } from './credentials/change-password.js'
import { createHashQueue, type HashQueue } from './credentials/hash-queue.js'
import {
  type AbuseLimits,
  createAbuseLimits,
  DEFAULT_ABUSE_LIMIT_RULES,
} from './credentials/limits/abuse-limits.js'
import { createKnownDevices } from './credentials/limits/known-devices.js'
import { createPasswordHasher, type PasswordHasher } from './credentials/password-hashing.js'
import { createPasswordPolicy, type PasswordPolicy } from './credentials/password-strength.js'
import { type RegisterInput, register } from './credentials/register.js'
import { createStoreUsers, isBackedBy } from './credentials/users/store-users.js'
import type { UserAdapter } from './credentials/users/types.js'
import { type AuthEvents, createAuthEvents } from './events/auth-events.js'
import { observeStore } from './lib/observe-store.js'
import {
  checkOptions,
  functionRule,
  integerRule,
  type OptionRule,
  optional,
  requiredRule,
} from './lib/options.js'
import type { CallOrigin, Parts } from './lib/parts.js'
import { createEndSessions } from './sessions/end-sessions.js'
import { listSessions } from './sessions/list-sessions.js'
import { type LoginInput, login } from './sessions/login.js'
import { logout, logoutAll } from './sessions/logout.js'
import { createRefreshTokenCodec } from './sessions/refresh-token.js'
import { revokeSession } from './sessions/revoke-session.js'
import { rotate } from './sessions/rotate.js'
import { createTokenIssuer } from './sessions/token-response.js'
import type { TokenStore } from './store/types.js'

export type { CallOrigin, ChangePasswordInput, LoginInput, RegisterInput }

/**
 * The policy of the token service, all resolved: `authSettingsOf(config)` reads them from a
 * `ServerConfig`, whose schema owns every default.
 */
export interface AuthSettings {
  /** `iss` of access tokens (`JWT_ISSUER`). */
  issuer: string
  /** `aud` of access tokens (`JWT_AUDIENCE`). */
  audience: string
  /** Access-token lifetime in seconds (`ACCESS_TOKEN_TTL`). */
  accessTokenTtlSeconds: number
  /** Sliding (idle) refresh-token lifetime in seconds (`REFRESH_TOKEN_TTL`). */
  refreshTokenTtlSeconds: number
  /** Absolute session lifetime in seconds, from login (`SESSION_MAX_AGE`). */
  sessionMaxAgeSeconds: number
  /** Seconds after a rotation in which the previous token gets the same successor (`REFRESH_REUSE_GRACE`). */
  reuseGraceSeconds: number
  /** Leeway for access-token `exp` and `nbf`, in seconds (`CLOCK_TOLERANCE`). */
  clockToleranceSeconds: number
  /**
   * Sessions per user; a login beyond it ends the least recently used one, `0` sets no
   * bound (`MAX_SESSIONS_PER_USER`).
   */
  maxSessionsPerUser: number
  /** The zxcvbn score (0 to 4) a new password must reach; `0` turns the check off (`PASSWORD_MIN_SCORE`). */
  passwordMinScore: number
  /**
   * The fewest characters a new password (register, change) may have; logins never check it
   * (`PASSWORD_MIN_LENGTH`).
   */
  passwordMinLength: number
}

/** Options of {@link createAuthService}: its dependencies and its {@link AuthSettings}. */
export interface AuthServiceOptions extends AuthSettings {
  /** Where users and sessions live. */
  store: TokenStore
  /** Access-token and refresh-token keys (see `createTokenKeys`). */
  keys: TokenKeys
  /** Milliseconds since the epoch; every expiry is decided with it. @default Date.now */
  clock?: Clock
  /** Password hashing; inject a cheap one in tests. @default createPasswordHasher() */
  passwords?: PasswordHasher
  /**
   * The login and registration limits, reserved before the password work they protect;
   * `createServerFromConfig` builds them from the configuration, on Redis with the Redis store.
   * @default createAbuseLimits({ rules: DEFAULT_ABUSE_LIMIT_RULES }) (in process memory)
   */
  limits?: AbuseLimits
  /**
   * The bound on password hashing (registration, login, password change); beyond it `503`
   * at once.
   * @default createHashQueue({ concurrency: configDefault('PASSWORD_HASH_CONCURRENCY'), queueSize: configDefault('PASSWORD_HASH_QUEUE') })
   */
  hashQueue?: HashQueue
  /**
   * Which new passwords are refused, at registration and change.
   * @default createPasswordPolicy({ minScore: passwordMinScore, minLength: passwordMinLength, userInputs: ['refresh-kit', issuer] })
   */
  passwordPolicy?: PasswordPolicy
  /**
   * Where ended sessions are recorded so that their access tokens are refused at once:
   * `createRedisRevocations(...)` to reach every instance, or this process only.
   * @default createMemoryRevocations({ accessTokenTtlSeconds, clockToleranceSeconds, clock })
   */
  revocations?: AccessTokenRevocations
  /**
   * Where users live (see `UserAdapter`). With your own adapter, the token server still
   * keeps sessions in `store`, with a small record per user that signs in (id only), and
   * asks `users.findById` at every refresh.
   * @default createStoreUsers({ store, passwords }): users in the token store, registration on
   */
  users?: UserAdapter
  /**
   * Adds claims to every access token at login and refresh (see `AccessTokenClaimsHook`).
   * Registered claims are refused, and a token past 4 KiB is an error.
   * @default no extra claims
   */
  accessTokenClaims?: AccessTokenClaimsHook
  /**
   * Where `login`, `refresh`, `reuseDetected`, `logout`, `sessionEnded`, `passwordChanged`
   * and `storeError` are emitted (see `createAuthEvents`). @default a bus of its own, at `service.events`
   */
  events?: AuthEvents
}

/** Everything the HTTP layer asks of the token server, free of HTTP. */
export interface AuthService extends AccessTokenVerifier {
  /** Whether users can register (the user adapter can create users). */
  readonly canRegister: boolean
  /**
   * @throws AuthError `user_exists`, `rate_limited`, `service_unavailable` (hasher full), or
   * `not_found` when registration is off
   */
  register(input: RegisterInput): Promise<PublicUser>
  /**
   * Starts a session, ending the user's least recently used one beyond the session bound.
   * The answer carries a fresh `deviceToken` for the client to present at its next login.
   * @throws AuthError `invalid_credentials`, `rate_limited`, `service_unavailable` (hasher full)
   */
  login(input: LoginInput): Promise<TokenResponse & { deviceToken: string }>
  /** Rotates a refresh token. @throws AuthError `invalid_refresh_token`, `refresh_token_reused` */
  refresh(refreshToken: string, origin?: CallOrigin): Promise<TokenResponse>
  /** Revokes the session of a refresh token; silent for an unknown or revoked one (RFC 7009). */
  logout(refreshToken: string, origin?: CallOrigin): Promise<void>
  /** Revokes every session of the user and every access token issued before; returns how many sessions there were. */
  logoutAll(userId: string, origin?: CallOrigin): Promise<number>
  /**
   * Replaces the password and ends every other session of the user.
   * @throws AuthError `invalid_credentials` (counted as a failed login), `rate_limited`,
   * `invalid_request` for a guessable new password, `service_unavailable` (hasher full),
   * `not_found` when users live in another user adapter (which owns their passwords)
   */
  changePassword(input: ChangePasswordInput): Promise<void>
  /** The user's live sessions, newest first, with `current` marking `currentSessionId`. */
  listSessions(userId: string, currentSessionId: string): Promise<SessionInfo[]>
  /** @throws AuthError `not_found` when the user has no such session */
  revokeSession(userId: string, sessionId: string, origin?: CallOrigin): Promise<void>
  /** Public keys for `/.well-known/jwks.json`; empty while only HS256 is configured. */
  readonly publicJwks: readonly PublicJwk[]
  /** The events this service emits; subscribe with `events.on(name, handler)`. */
  readonly events: AuthEvents
}

/**
 * The token server's logic: users, logins with failure limits, sessions, refresh-token
 * rotation with a reuse grace window and reuse detection. Storage and time are injected;
 * each use case is a function of its own (`sessions/`, `credentials/`), composed here.
 *
 * @example
 * ```ts
 * const tokens = createAuthService({ ...authSettingsOf(config), store: createMemoryStore(), keys })
 * await tokens.register({ username: 'ada', password: 'correct horse battery' })
 * const pair = await tokens.login({ username: 'ada', password: 'correct horse battery', clientAddress: '::1', userAgent: null })
 * const next = await tokens.refresh(pair.refreshToken)
 * ```
 */
export function createAuthService(options: AuthServiceOptions): AuthService {
  const { keys } = options
  const clock = options.clock ?? Date.now
  const events = options.events ?? createAuthEvents()
  const claimsHook = options.accessTokenClaims
  const { refreshTokenTtlSeconds, sessionMaxAgeSeconds, reuseGraceSeconds, maxSessionsPerUser } =
    checkOptions(
      'createAuthService',
      { ...options, clock, events },
      {
        store: requiredRule,
        keys: requiredRule,
        clock: functionRule,
        events: EVENTS_RULE,
        accessTokenClaims: optional(functionRule),
        refreshTokenTtlSeconds: integerRule(1),
        sessionMaxAgeSeconds: integerRule(1),
        reuseGraceSeconds: integerRule(0),
        maxSessionsPerUser: integerRule(0),
      },
    )
  const passwords = options.passwords ?? createPasswordHasher()
  const users = options.users ?? createStoreUsers({ store: options.store, passwords, clock })
  checkOptions(
    'createAuthService',
    users,
    {
      authenticate: functionRule,
      findById: functionRule,
      create: optional(functionRule, 'must be a function when given'),
    },
    'options.users',
  )
  const store = observeStore(options.store, (operation, error) =>
    events.emit('storeError', { operation, error }),
  )
  const limits = options.limits ?? createAbuseLimits({ rules: DEFAULT_ABUSE_LIMIT_RULES })
  const hashQueue =
    options.hashQueue ??
    createHashQueue({
      concurrency: configDefault('PASSWORD_HASH_CONCURRENCY'),
      queueSize: configDefault('PASSWORD_HASH_QUEUE'),
    })
  const access = createAccessTokens({
    keys: keys.access,
    issuer: options.issuer,
    audience: options.audience,
    ttlSeconds: options.accessTokenTtlSeconds,
    clockToleranceSeconds: options.clockToleranceSeconds,
    clock,
  })
  const refreshTokens = createRefreshTokenCodec(keys.refreshMacKey)
  const revocations =
    options.revocations ??
    createMemoryRevocations({
      accessTokenTtlSeconds: options.accessTokenTtlSeconds,
      clockToleranceSeconds: options.clockToleranceSeconds,
      clock,
    })
  // The access-token lifetime enters once, here: revocations forgotten before the tokens
  // they refuse expire would let an ended session's access tokens back in.
  const accepted = keptForSeconds(options.accessTokenTtlSeconds, options.clockToleranceSeconds)
  if (revocations.keptForSeconds !== undefined && revocations.keptForSeconds < accepted) {
    throw new TypeError(
      `createAuthService: options.revocations keeps a revocation ${revocations.keptForSeconds} s, less than options.accessTokenTtlSeconds + options.clockToleranceSeconds (${accepted} s): build it with the same accessTokenTtlSeconds and clockToleranceSeconds`,
    )
  }
  const passwordPolicy =
    options.passwordPolicy ??
    createPasswordPolicy({
      minScore: options.passwordMinScore,
      minLength: options.passwordMinLength,
      userInputs: [...new Set(['refresh-kit', options.issuer])],
    })

  const parts: Parts = {
    store,
    accounts: createAccounts({
      users,
      store,
      ownUsers: isBackedBy(users, options.store),
      passwords,
      clock,
    }),
    clock,
    events,
    limits,
    hashQueue,
    passwords,
    passwordPolicy,
    devices: createKnownDevices(keys.refreshMacKey, clock),
    refreshTokens,
    tokens: createTokenIssuer({ access, refreshTokens, claimsHook }),
    endSessions: createEndSessions({
      revocations,
      events,
      accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    }),
    refreshTtlSeconds: refreshTokenTtlSeconds,
    sessionMaxAgeSeconds,
    reuseGraceSeconds,
    maxSessionsPerUser,
  }

  return {
    publicJwks: keys.access.publicJwks,
    events,
    canRegister: users.create !== undefined,
    verifyAccessToken(token) {
      const context = access.verifyAccessToken(token)
      revocations.assertNotRevoked(context.claims)
      return context
    },
    register: (input) => register(parts, input),
    login: (input) => login(parts, input),
    refresh: (refreshToken, origin) => rotate(parts, refreshToken, origin),
    logout: (refreshToken, origin) => logout(parts, refreshToken, origin),
    logoutAll: (userId, origin) => logoutAll(parts, userId, origin),
    changePassword: (input) => changePassword(parts, input),
    listSessions: (userId, currentSessionId) => listSessions(parts, userId, currentSessionId),
    revokeSession: (userId, sessionId, origin) => revokeSession(parts, userId, sessionId, origin),
  }
}

// An event bus of this package's making (a plain EventEmitter lacks its typed `emit`).
const EVENTS_RULE: OptionRule = {
  schema: z.custom(
    (value) =>
      typeof (value as AuthEvents | null)?.on === 'function' &&
      typeof (value as AuthEvents | null)?.emit === 'function',
  ),
  problem: 'must come from createAuthEvents()',
}
