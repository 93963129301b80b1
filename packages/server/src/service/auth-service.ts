import type { PublicJwk, PublicUser, SessionInfo, TokenResponse } from '@refresh-kit/shared'
import type { Clock } from '../clock.js'
import { AuthError } from '../errors.js'
import { randomId } from '../lib/random-id.js'
import { createPasswordPolicy, type PasswordPolicy } from '../password-strength.js'
import { createPasswordHasher, type PasswordHasher } from '../passwords.js'
import { createMemoryRevocations } from '../revocation/memory-revocations.js'
import type { AccessTokenRevocations } from '../revocation/types.js'
import type { SessionRecord, TokenStore } from '../store/types.js'
import { type AccessTokenVerifier, createAccessTokens } from '../tokens/access-token.js'
import type { TokenKeys } from '../tokens/keys.js'
import { createRefreshTokenCodec } from '../tokens/refresh-token.js'

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
  /** Failed logins per username, and per client address, before `429` (`LOGIN_MAX_FAILURES`). */
  loginMaxFailures: number
  /** The window those failures are counted in, in seconds. */
  loginFailureWindowSeconds: number
  /** The zxcvbn score (0 to 4) a new password must reach; `0` turns the check off (`PASSWORD_MIN_SCORE`). */
  passwordMinScore: number
}

/** Options of {@link createAuthService}: its dependencies and its {@link AuthSettings}. */
export interface AuthServiceOptions extends AuthSettings {
  /** Where users, sessions and login counters live. */
  store: TokenStore
  /** Access-token and refresh-token keys (see `createTokenKeys`). */
  keys: TokenKeys
  /** Milliseconds since the epoch; every expiry is decided with it. @default Date.now */
  clock?: Clock
  /** Password hashing; inject a cheap one in tests. @default createPasswordHasher() */
  passwords?: PasswordHasher
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
}

/** Everything the HTTP layer asks of the token server, free of HTTP. */
export interface AuthService extends AccessTokenVerifier {
  /** @throws AuthError `user_exists` */
  register(input: RegisterInput): Promise<PublicUser>
  /** Starts a session. @throws AuthError `invalid_credentials`, `rate_limited` */
  login(input: LoginInput): Promise<TokenResponse>
  /** Rotates a refresh token. @throws AuthError `invalid_refresh_token`, `refresh_token_reused` */
  refresh(refreshToken: string): Promise<TokenResponse>
  /** Revokes the session of a refresh token; silent for an unknown or revoked one (RFC 7009). */
  logout(refreshToken: string): Promise<void>
  /** Revokes every session of the user and every access token issued before; returns how many sessions there were. */
  logoutAll(userId: string): Promise<number>
  /**
   * Replaces the password and ends every other session of the user.
   * @throws AuthError `invalid_credentials` (counted as a failed login), `rate_limited`,
   * `invalid_request` for a guessable new password
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
  const maxFailures = integer('loginMaxFailures', options.loginMaxFailures, 1)
  const failureWindow = integer('loginFailureWindowSeconds', options.loginFailureWindowSeconds, 1)
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

  const tokenResponse = (session: SessionRecord, username: string, now: number): TokenResponse => {
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
      refreshExpiresIn: Math.max(0, Math.ceil((session.idleExpiresAt - now) / 1000)),
    }
  }

  const failureKeys = (username: string, clientAddress: string) =>
    [`login-failures:user:${username}`, `login-failures:addr:${clientAddress}`] as const

  return {
    publicJwks: keys.access.publicJwks,
    verifyAccessToken(token) {
      const context = access.verifyAccessToken(token)
      revocations.assertNotRevoked(context.claims)
      return context
    },

    async register({ username, password }) {
      checkNewPassword(password, username)
      const passwordHash = await passwords.hash(password)
      const user = { id: randomId(), username, passwordHash, createdAt: clock() }
      if (!(await store.createUser(user))) {
        throw new AuthError('user_exists', 'this username is already taken')
      }
      return { id: user.id, username: user.username }
    },

    async login({ username, password, clientAddress, userAgent }) {
      const keys = failureKeys(username, clientAddress)
      const counts = await Promise.all(keys.map((key) => store.peek(key)))
      const blocked = counts.filter((state) => state.count >= maxFailures)
      if (blocked.length > 0) {
        const retryAfterSeconds = Math.max(1, ...blocked.map((state) => state.resetInSeconds))
        throw new AuthError('rate_limited', 'too many failed logins; try again later', {
          retryAfterSeconds,
        })
      }
      const user = await store.findUserByUsername(username)
      // An unknown user costs the same scrypt work as a wrong password.
      const valid =
        user === null
          ? await passwords.verifyNothing(password)
          : await passwords.verify(password, user.passwordHash)
      if (user === null || !valid) {
        await Promise.all(keys.map((key) => store.hit(key, failureWindow)))
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
        }),
        store.reset(keys[0]),
      ])
      return tokenResponse(session, user.username, now)
    },

    async refresh(refreshToken) {
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
        await sessionsEnded(claims.userId, [claims.sessionId])
        throw new AuthError(
          'refresh_token_reused',
          'this refresh token was already used; the session has been revoked',
        )
      }
      if (result.status === 'invalid') throw invalidRefresh()
      return tokenResponse(result.session, result.username, now)
    },

    async logout(refreshToken) {
      const claims = refreshTokens.parse(refreshToken)
      if (claims === null) return
      await store.revokeSession(claims.userId, claims.sessionId)
      // Recorded even when the session was already gone: a logout retried after an answer
      // lost to an outage still reaches the access tokens. Only a genuine token gets here.
      await sessionsEnded(claims.userId, [claims.sessionId])
    },

    async logoutAll(userId) {
      const notBefore = Math.floor(clock() / 1000)
      const ended = await store.revokeAllSessions(userId)
      await sessionsEnded(userId, ended, notBefore)
      return ended.length
    },

    async changePassword({ userId, sessionId, currentPassword, newPassword, clientAddress }) {
      const user = await store.findUserById(userId)
      if (user === null) throw new AuthError('invalid_credentials', 'wrong password')
      checkNewPassword(newPassword, user.username)
      const keys = failureKeys(user.username, clientAddress)
      // Counted before the check, in one atomic step per key, and cleared on success: no
      // burst of parallel guesses gets more than the limit of them verified.
      const counts = await Promise.all(keys.map((key) => store.hit(key, failureWindow)))
      const blocked = counts.filter((state) => state.count > maxFailures)
      if (blocked.length > 0) {
        throw new AuthError('rate_limited', 'too many failed logins; try again later', {
          retryAfterSeconds: Math.max(1, ...blocked.map((state) => state.resetInSeconds)),
        })
      }
      if (!(await passwords.verify(currentPassword, user.passwordHash))) {
        throw new AuthError('invalid_credentials', 'the current password is wrong')
      }
      const passwordHash = await passwords.hash(newPassword)
      if (!(await store.setPasswordHash(userId, passwordHash))) {
        throw new AuthError('invalid_credentials', 'wrong password')
      }
      await store.reset(keys[0])
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
