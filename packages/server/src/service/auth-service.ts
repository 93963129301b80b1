import type { PublicJwk, PublicUser, SessionInfo, TokenResponse } from '@refresh-kit/shared'
import type { Clock } from '../clock.js'
import { AuthError } from '../errors.js'
import { randomId } from '../lib/random-id.js'
import {
  type AbuseLimits,
  createAbuseLimits,
  DEFAULT_ABUSE_LIMIT_RULES,
} from '../limits/abuse-limits.js'
import {
  createHashQueue,
  DEFAULT_HASH_CONCURRENCY,
  DEFAULT_HASH_QUEUE_SIZE,
  type HashQueue,
} from '../limits/hash-queue.js'
import { createPasswordPolicy, type PasswordPolicy } from '../password-strength.js'
import { createPasswordHasher, type PasswordHasher } from '../passwords.js'
import { createMemoryRevocations } from '../revocation/memory-revocations.js'
import type { AccessTokenRevocations } from '../revocation/types.js'
import type { SessionRecord, TokenStore } from '../store/types.js'
import { type AccessTokenVerifier, createAccessTokens } from '../tokens/access-token.js'
import type { TokenKeys } from '../tokens/keys.js'
import { createRefreshTokenCodec } from '../tokens/refresh-token.js'
import type { SecurityEventHandler } from './security-events.js'

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
   * @default createHashQueue({ concurrency: DEFAULT_HASH_CONCURRENCY, queueSize: DEFAULT_HASH_QUEUE_SIZE })
   */
  hashQueue?: HashQueue
  /** Receives the security events (reuse, lockout, eviction, logout-all). @default ignores them */
  onSecurityEvent?: SecurityEventHandler
  /**
   * Which new passwords are refused, at registration and change.
   * @default createPasswordPolicy({ minScore: passwordMinScore, userInputs: ['refresh-kit', issuer] })
   */
  passwordPolicy?: PasswordPolicy
  /**
   * Where ended sessions are recorded so that their access tokens are refused at once:
   * `createRedisRevocations(...)` to reach every instance, or this process only.
   * @default createMemoryRevocations({ accessTokenTtlSeconds, clockToleranceSeconds, clock })
   */
  revocations?: AccessTokenRevocations
}

/** Where a request comes from, for the limits and the security log. */
export interface RequestContext {
  /** The client address as the limits count it (see `clientAddressOf`). @default null */
  clientAddress?: string | null
  /** The session of the access token that made the request, if any. @default null */
  sessionId?: string | null
}

/** Input of {@link AuthService.login}. */
export interface LoginInput {
  username: string
  password: string
  /** The client's address, for the per-address failure limit. */
  clientAddress: string
  /** Shown in the session list. */
  userAgent: string | null
}

/** Input of {@link AuthService.changePassword}. */
export interface ChangePasswordInput {
  /** The caller, from its verified access token. */
  userId: string
  /** The caller's session: the one session that stays. */
  sessionId: string
  currentPassword: string
  newPassword: string
  /** The client's address, for the failed-login limits a wrong current password counts toward. */
  clientAddress: string
}

/** Input of {@link AuthService.register}. */
export interface RegisterInput {
  username: string
  password: string
  /** The client's address, for the registration limit. @default 'unknown' (one shared budget) */
  clientAddress?: string
}

/** Everything the HTTP layer asks of the token server, free of HTTP. */
export interface AuthService extends AccessTokenVerifier {
  /** @throws AuthError `user_exists`, `rate_limited`, `service_unavailable` (hasher full) */
  register(input: RegisterInput): Promise<PublicUser>
  /**
   * Starts a session, ending the user's least recently used one beyond the session bound.
   * @throws AuthError `invalid_credentials`, `rate_limited`, `service_unavailable` (hasher full)
   */
  login(input: LoginInput): Promise<TokenResponse>
  /** Rotates a refresh token. @throws AuthError `invalid_refresh_token`, `refresh_token_reused` */
  refresh(refreshToken: string, context?: RequestContext): Promise<TokenResponse>
  /** Revokes the session of a refresh token; silent for an unknown or revoked one (RFC 7009). */
  logout(refreshToken: string): Promise<void>
  /** Revokes every session of the user and every access token issued before; returns how many sessions there were. */
  logoutAll(userId: string, context?: RequestContext): Promise<number>
  /**
   * Replaces the password and ends every other session of the user.
   * @throws AuthError `invalid_credentials` (counted as a failed login), `rate_limited`,
   * `invalid_request` for a guessable new password, `service_unavailable` (hasher full)
   */
  changePassword(input: ChangePasswordInput): Promise<void>
  /** The user's live sessions, newest first, with `current` marking `currentSessionId`. */
  listSessions(userId: string, currentSessionId: string): Promise<SessionInfo[]>
  /** @throws AuthError `not_found` when the user has no such session */
  revokeSession(userId: string, sessionId: string): Promise<void>
  /** Public keys for `/.well-known/jwks.json`; empty while only HS256 is configured. */
  readonly publicJwks: readonly PublicJwk[]
}

const MAX_USER_AGENT = 256

function integer(option: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`createAuthService: options.${option} must be an integer >= ${min}`)
  }
  return value
}

const invalidRefresh = () =>
  new AuthError('invalid_refresh_token', 'the refresh token is invalid, expired or revoked')

/**
 * The token server's logic: users, logins with failure limits, sessions, refresh-token
 * rotation with a reuse grace window and reuse detection. Storage and time are injected.
 *
 * @example
 * ```ts
 * const tokens = createAuthService({ ...authSettingsOf(config), store: createMemoryStore(), keys })
 * await tokens.register({ username: 'ada', password: 'correct horse' })
 * const pair = await tokens.login({ username: 'ada', password: 'correct horse', clientAddress: '::1', userAgent: null })
 * const next = await tokens.refresh(pair.refreshToken)
 * ```
 */
export function createAuthService(options: AuthServiceOptions): AuthService {
  const { store, keys } = options
  if (store === undefined) throw new TypeError('createAuthService: options.store is required')
  if (keys === undefined) throw new TypeError('createAuthService: options.keys is required')
  const clock = options.clock ?? Date.now
  if (typeof clock !== 'function')
    throw new TypeError('createAuthService: options.clock must be a function')
  const passwords = options.passwords ?? createPasswordHasher()
  const refreshTtl = integer('refreshTokenTtlSeconds', options.refreshTokenTtlSeconds, 1)
  const maxAge = integer('sessionMaxAgeSeconds', options.sessionMaxAgeSeconds, 1)
  const grace = integer('reuseGraceSeconds', options.reuseGraceSeconds, 0)
  const limits = options.limits ?? createAbuseLimits({ rules: DEFAULT_ABUSE_LIMIT_RULES })
  const hashQueue =
    options.hashQueue ??
    createHashQueue({ concurrency: DEFAULT_HASH_CONCURRENCY, queueSize: DEFAULT_HASH_QUEUE_SIZE })
  const maxSessions = integer('maxSessionsPerUser', options.maxSessionsPerUser, 0)
  const onSecurityEvent = options.onSecurityEvent ?? (() => {})
  const access = createAccessTokens({
    keys: keys.access,
    issuer: options.issuer,
    audience: options.audience,
    ttlSeconds: options.accessTokenTtlSeconds,
    clockToleranceSeconds: options.clockToleranceSeconds,
    clock,
  })
  const revocations =
    options.revocations ??
    createMemoryRevocations({
      accessTokenTtlSeconds: options.accessTokenTtlSeconds,
      clockToleranceSeconds: options.clockToleranceSeconds,
      clock,
    })
  const passwordPolicy =
    options.passwordPolicy ??
    createPasswordPolicy({
      minScore: options.passwordMinScore,
      userInputs: [...new Set(['refresh-kit', options.issuer])],
    })

  /**
   * The one place a session's end reaches its access tokens: every path that ends sessions
   * (logout, logout-all, revoke, reuse detection, eviction, password change) reports them
   * here, and they are refused on every instance from then on.
   */
  const sessionsEnded = (userId: string, sessionIds: readonly string[], notBefore?: number) =>
    revocations.revoke({
      userId,
      sessionIds,
      ...(notBefore === undefined ? {} : { notBefore }),
    })

  const checkNewPassword = (password: string, username: string) => {
    const problem = passwordPolicy.problem(password, username)
    if (problem !== null) {
      throw new AuthError('invalid_request', `password ${problem}`, {
        details: [{ field: 'password', problem }],
      })
    }
  }
  const refreshTokens = createRefreshTokenCodec(keys.refreshMacKey)

  const tokenResponse = (session: SessionRecord, username: string): TokenResponse => {
    const signed = access.sign({ userId: session.userId, sessionId: session.id, username })
    return {
      accessToken: signed.token,
      refreshToken: refreshTokens.issue({
        userId: session.userId,
        sessionId: session.id,
        generation: session.generation,
      }),
      tokenType: 'Bearer',
      expiresIn: signed.expiresIn,
      // Measured on the clock the store decided with (Redis's own, by default), not this one.
      refreshExpiresIn: Math.max(0, Math.ceil((session.idleExpiresAt - session.lastUsedAt) / 1000)),
    }
  }

  return {
    publicJwks: keys.access.publicJwks,
    verifyAccessToken(token) {
      const context = access.verifyAccessToken(token)
      revocations.assertNotRevoked(context.claims)
      return context
    },

    async register({ username, password, clientAddress = 'unknown' }) {
      checkNewPassword(password, username)
      await limits.reserveRegistration(clientAddress)
      const passwordHash = await hashQueue.run(clientAddress, () => passwords.hash(password))
      const user = { id: randomId(), username, passwordHash, createdAt: clock() }
      if (!(await store.createUser(user))) {
        throw new AuthError('user_exists', 'this username is already taken')
      }
      return { id: user.id, username: user.username }
    },

    async login({ username, password, clientAddress, userAgent }) {
      // Reserved before the password is verified: a parallel burst cannot pass a check
      // that would only be counted afterwards.
      const reservation = await limits.reserveLogin(username, clientAddress)
      let user: Awaited<ReturnType<TokenStore['findUserByUsername']>>
      let valid: boolean
      try {
        user = await store.findUserByUsername(username)
        const found = user
        // An unknown user costs the same scrypt work as a wrong password.
        valid = await hashQueue.run(clientAddress, () =>
          found === null
            ? passwords.verifyNothing(password)
            : passwords.verify(password, found.passwordHash),
        )
      } catch (error) {
        // Nothing was verified: this try was no failure.
        await reservation.cancelled().catch(() => undefined)
        throw error
      }
      if (user === null || !valid) {
        // Logged once per lock: when a failure uses the last try of a limit.
        if (reservation.locks.length > 0) {
          onSecurityEvent({
            type: 'login_locked',
            userId: user?.id ?? null,
            username,
            clientAddress,
            limits: reservation.locks,
          })
        }
        throw new AuthError('invalid_credentials', 'wrong username or password')
      }
      const now = clock()
      const [session] = await Promise.all([
        store.createSession({
          userId: user.id,
          sessionId: randomId(),
          userAgent: userAgent === null ? null : userAgent.slice(0, MAX_USER_AGENT),
          now,
          idleTtlSeconds: refreshTtl,
          maxAgeSeconds: maxAge,
          maxSessions,
        }),
        reservation.succeeded(),
      ])
      if (session.evictedSessionIds.length > 0) {
        await sessionsEnded(user.id, session.evictedSessionIds)
      }
      for (const evicted of session.evictedSessionIds) {
        onSecurityEvent({
          type: 'session_evicted',
          userId: user.id,
          sessionId: evicted,
          bySessionId: session.id,
          clientAddress,
        })
      }
      return tokenResponse(session, user.username)
    },

    async refresh(refreshToken, context = {}) {
      // A forged or tampered token stops here, before any store call.
      const claims = refreshTokens.parse(refreshToken)
      if (claims === null) throw invalidRefresh()
      const now = clock()
      // One store call, one Redis round trip: the rotation also reads the username the new
      // access token carries.
      const result = await store.rotate({
        ...claims,
        now,
        idleTtlSeconds: refreshTtl,
        graceSeconds: grace,
      })
      if (result.status === 'reused') {
        onSecurityEvent({
          type: 'refresh_token_reused',
          userId: claims.userId,
          sessionId: claims.sessionId,
          clientAddress: context.clientAddress ?? null,
        })
        await sessionsEnded(claims.userId, [claims.sessionId])
        throw new AuthError(
          'refresh_token_reused',
          'this refresh token was already used; the session has been revoked',
        )
      }
      if (result.status === 'invalid') throw invalidRefresh()
      return tokenResponse(result.session, result.username)
    },

    async logout(refreshToken) {
      const claims = refreshTokens.parse(refreshToken)
      if (claims === null) return
      await store.revokeSession(claims.userId, claims.sessionId)
      // Recorded even when the session was already gone: a logout retried after an answer
      // lost to an outage still reaches the access tokens. Only a genuine token gets here.
      await sessionsEnded(claims.userId, [claims.sessionId])
    },

    async logoutAll(userId, context = {}) {
      const notBefore = Math.floor(clock() / 1000)
      const ended = await store.revokeAllSessions(userId)
      await sessionsEnded(userId, ended, notBefore)
      onSecurityEvent({
        type: 'logout_all',
        userId,
        sessionId: context.sessionId ?? null,
        clientAddress: context.clientAddress ?? null,
        sessions: ended.length,
      })
      return ended.length
    },

    async changePassword({ userId, sessionId, currentPassword, newPassword, clientAddress }) {
      const user = await store.findUserById(userId)
      if (user === null) throw new AuthError('invalid_credentials', 'wrong password')
      checkNewPassword(newPassword, user.username)
      // The same reservation as a login's: a wrong current password is a failed login.
      const reservation = await limits.reserveLogin(user.username, clientAddress)
      let valid: boolean
      try {
        valid = await hashQueue.run(clientAddress, () =>
          passwords.verify(currentPassword, user.passwordHash),
        )
      } catch (error) {
        await reservation.cancelled().catch(() => undefined)
        throw error
      }
      if (!valid) {
        if (reservation.locks.length > 0) {
          onSecurityEvent({
            type: 'login_locked',
            userId,
            username: user.username,
            clientAddress,
            limits: reservation.locks,
          })
        }
        throw new AuthError('invalid_credentials', 'the current password is wrong')
      }
      await reservation.succeeded()
      const passwordHash = await hashQueue.run(clientAddress, () => passwords.hash(newPassword))
      if (!(await store.setPasswordHash(userId, passwordHash))) {
        throw new AuthError('invalid_credentials', 'wrong password')
      }
      await sessionsEnded(userId, await store.revokeAllSessions(userId, sessionId))
    },

    async listSessions(userId, currentSessionId) {
      const sessions = await store.listSessions(userId, clock())
      return sessions.map((session) => ({
        id: session.id,
        createdAt: new Date(session.createdAt).toISOString(),
        lastUsedAt: new Date(session.lastUsedAt).toISOString(),
        userAgent: session.userAgent,
        current: session.id === currentSessionId,
      }))
    },

    async revokeSession(userId, sessionId) {
      if (!(await store.revokeSession(userId, sessionId))) {
        throw new AuthError('not_found', 'no such session')
      }
      await sessionsEnded(userId, [sessionId])
    },
  }
}
