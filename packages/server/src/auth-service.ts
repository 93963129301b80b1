import { createHash } from 'node:crypto'
import type { PublicJwk, PublicUser, SessionInfo, TokenResponse } from '@refresh-kit/shared'
import {
  type AccessTokenClaimsHook,
  checkCustomClaims,
  checkTokenSize,
} from './access-tokens/custom-claims.js'
import type { TokenKeys } from './access-tokens/keys.js'
import { createMemoryRevocations } from './access-tokens/revocation/memory-revocations.js'
import type { AccessTokenRevocations } from './access-tokens/revocation/types.js'
import {
  type AccessTokenVerifier,
  createAccessTokens,
  type SignedAccessToken,
} from './access-tokens/sign-and-verify.js'
import type { Clock } from './clock.js'
import {
  createHashQueue,
  DEFAULT_HASH_CONCURRENCY,
  DEFAULT_HASH_QUEUE_SIZE,
  type HashQueue,
} from './credentials/hash-queue.js'
import {
  type AbuseLimits,
  createAbuseLimits,
  DEFAULT_ABUSE_LIMIT_RULES,
  type LoginReservation,
} from './credentials/limits/abuse-limits.js'
import { createKnownDevices } from './credentials/limits/known-devices.js'
import { createPasswordHasher, type PasswordHasher } from './credentials/password-hashing.js'
import { createPasswordPolicy, type PasswordPolicy } from './credentials/password-strength.js'
import { createStoreUsers, isBackedBy, verifyStoreUser } from './credentials/users/store-users.js'
import type { AuthUser, UserAdapter } from './credentials/users/types.js'
import { AuthError, isAuthError } from './errors.js'
import {
  type AuthEvents,
  createAuthEvents,
  type LoginOutcome,
  type RequestOrigin,
  type SessionEndReason,
} from './events/auth-events.js'
import { failureTimer } from './lib/failure-timer.js'
import { observeStore } from './lib/observe-store.js'
import { randomId } from './lib/random-id.js'
import { createRefreshTokenCodec } from './sessions/refresh-token.js'
import type { CreatedSession, RotatedSession, TokenStore } from './store/types.js'

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
   * @default createHashQueue({ concurrency: DEFAULT_HASH_CONCURRENCY, queueSize: DEFAULT_HASH_QUEUE_SIZE })
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

/** Who is asking and from where, for the events and the security log. */
export interface CallOrigin extends Partial<RequestOrigin> {
  /** The session of the access token that asked, when there is one. */
  sessionId?: string
}

/** Input of {@link AuthService.login}. */
export interface LoginInput {
  username: string
  password: string
  /** The client's address, for the per-address failure limit. */
  clientAddress: string
  /** Shown in the session list. */
  userAgent: string | null
  /**
   * The device token of this client's last login (the `rk_device` cookie or the body's
   * `deviceToken`): a device that signed in as this user before is not limited with strangers.
   */
  deviceToken?: string | null
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
 * await tokens.register({ username: 'ada', password: 'correct horse battery' })
 * const pair = await tokens.login({ username: 'ada', password: 'correct horse battery', clientAddress: '::1', userAgent: null })
 * const next = await tokens.refresh(pair.refreshToken)
 * ```
 */
export function createAuthService(options: AuthServiceOptions): AuthService {
  const { keys } = options
  if (options.store === undefined)
    throw new TypeError('createAuthService: options.store is required')
  if (keys === undefined) throw new TypeError('createAuthService: options.keys is required')
  const clock = options.clock ?? Date.now
  if (typeof clock !== 'function')
    throw new TypeError('createAuthService: options.clock must be a function')
  const events = options.events ?? createAuthEvents()
  if (typeof events.on !== 'function' || typeof events.emit !== 'function') {
    throw new TypeError('createAuthService: options.events must come from createAuthEvents()')
  }
  const claimsHook = options.accessTokenClaims
  if (claimsHook !== undefined && typeof claimsHook !== 'function') {
    throw new TypeError('createAuthService: options.accessTokenClaims must be a function')
  }
  const passwords = options.passwords ?? createPasswordHasher()
  const users = options.users ?? createStoreUsers({ store: options.store, passwords, clock })
  for (const method of ['authenticate', 'findById'] as const) {
    if (typeof users[method] !== 'function') {
      throw new TypeError(`createAuthService: options.users.${method} must be a function`)
    }
  }
  const create = users.create
  if (create !== undefined && typeof create !== 'function') {
    throw new TypeError('createAuthService: options.users.create must be a function when given')
  }
  // With the default adapter the rotation script reads the username in the same round trip;
  // any other adapter is asked at every refresh, so a deleted user cannot refresh.
  const ownUsers = isBackedBy(users, options.store)
  const store = observeStore(options.store, (operation, error) =>
    events.emit('storeError', { operation, error }),
  )
  const refreshTtl = integer('refreshTokenTtlSeconds', options.refreshTokenTtlSeconds, 1)
  const maxAge = integer('sessionMaxAgeSeconds', options.sessionMaxAgeSeconds, 1)
  const grace = integer('reuseGraceSeconds', options.reuseGraceSeconds, 0)
  const limits = options.limits ?? createAbuseLimits({ rules: DEFAULT_ABUSE_LIMIT_RULES })
  const hashQueue =
    options.hashQueue ??
    createHashQueue({ concurrency: DEFAULT_HASH_CONCURRENCY, queueSize: DEFAULT_HASH_QUEUE_SIZE })
  const maxSessions = integer('maxSessionsPerUser', options.maxSessionsPerUser, 0)
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
  const passwordPolicy =
    options.passwordPolicy ??
    createPasswordPolicy({
      minScore: options.passwordMinScore,
      minLength: options.passwordMinLength,
      userInputs: [...new Set(['refresh-kit', options.issuer])],
    })
  const devices = createKnownDevices(keys.refreshMacKey, clock)

  /**
   * The one place a session's end reaches its access tokens: every path that ends sessions
   * (logout, logout-all, revoke, reuse detection, eviction, password change) reports them
   * here, and they are refused on every instance from then on. `userId` is the access
   * token's `sub` (the user adapter's id).
   */
  const sessionsEnded = (userId: string, sessionIds: readonly string[], notBefore?: number) =>
    revocations.revoke({
      userId,
      sessionIds,
      ...(notBefore === undefined ? {} : { notBefore }),
    })

  /**
   * For sessions a store script has already ended (reuse, eviction), where nothing could be
   * recorded first: recorded now, and if that fails, tried again in the background for the
   * access-token lifetime, so an outage between the two steps does not leave their access
   * tokens alive. The request still fails, as the first try did.
   */
  const sessionsAlreadyEnded = async (userId: string, sessionIds: readonly string[]) => {
    try {
      await sessionsEnded(userId, sessionIds)
    } catch (error) {
      recordLater(userId, sessionIds)
      throw error
    }
  }
  const recordLater = (userId: string, sessionIds: readonly string[], attempt = 1) => {
    const delayMs = Math.min(5_000, 100 * 2 ** attempt)
    const deadline = options.accessTokenTtlSeconds * 1000
    if (delayMs * attempt > deadline) return
    setTimeout(() => {
      sessionsEnded(userId, sessionIds).catch(() => recordLater(userId, sessionIds, attempt + 1))
    }, delayMs).unref()
  }

  const refusal = (field: string, problem: string) =>
    new AuthError('invalid_request', `${field} ${problem}`, { details: [{ field, problem }] })
  /** The cheap part of the policy, before any limit is spent. */
  const checkNewPasswordLength = (password: string, field: string) => {
    const problem = passwordPolicy.lengthProblem(password)
    if (problem !== null) throw refusal(field, problem)
  }
  /** The costly part, only behind the limits and in a slot of the hash queue. */
  const checkNewPassword = async (password: string, username: string, field: string) => {
    const problem = await passwordPolicy.problem(password, username)
    if (problem !== null) throw refusal(field, problem)
  }
  // An adapter that answers "no such user" faster than "wrong password" would tell an
  // attacker which usernames exist: failures are held to the time successes take.
  const failures = ownUsers ? null : failureTimer()

  /**
   * The id the store keeps a user's sessions under. The default adapter's ids are the
   * store's own. Another adapter's ids (UUIDs, numbers, anything) are digested into the
   * fixed-size id refresh tokens and store keys are built from; the user record kept under
   * it (see ensureSessionOwner) names the adapter's id, read back in the rotation's round trip.
   */
  const storeIdOf = ownUsers
    ? (userId: string) => userId
    : (userId: string) =>
        createHash('sha256').update(`user:${userId}`).digest().subarray(0, 16).toString('base64url')
  const OWNER = '#'
  /** The adapter's id of a session owner, from the name of its store record. */
  const adapterIdOf = (recordName: string): string | null =>
    recordName.startsWith(OWNER) ? recordName.slice(OWNER.length) : null
  /** The adapter's id behind a store id, for events after a store-only step. */
  const adapterIdOfStoreId = async (storeId: string): Promise<string | null> => {
    if (ownUsers) return storeId
    const record = await store.findUserById(storeId)
    return record === null ? null : adapterIdOf(record.username)
  }

  /** An access token for `user` in `sessionId`, custom claims checked and size bounded. */
  const signAccess = async (user: AuthUser, sessionId: string) => {
    if (claimsHook === undefined) {
      return access.sign({ userId: user.id, sessionId, username: user.username })
    }
    const extra = checkCustomClaims(await claimsHook({ user, sessionId }))
    const signed = access.sign({ userId: user.id, sessionId, username: user.username }, extra)
    checkTokenSize(signed.token)
    return signed
  }

  const tokenResponse = (session: RotatedSession, signed: SignedAccessToken): TokenResponse => {
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

  /**
   * The store's scripts bound and expire each user's sessions through a user record; a user
   * of another adapter gets one with their id and a name no real username can take.
   */
  const ensureSessionOwner = async (user: AuthUser): Promise<string> => {
    if (ownUsers) return user.id
    if (typeof user.id !== 'string' || user.id === '' || user.id.length > 128) {
      throw new TypeError('users.authenticate must return an id of 1 to 128 characters')
    }
    const storeId = storeIdOf(user.id)
    if ((await store.findUserById(storeId)) !== null) return storeId
    // A name no username can take ('#' is not allowed in one), holding the adapter's id.
    const created = await store.createUser({
      id: storeId,
      username: `${OWNER}${user.id}`,
      passwordHash: '!',
      createdAt: clock(),
    })
    if (!created && (await store.findUserById(storeId)) === null) {
      throw new Error(`cannot keep a session record for user ${user.id}`)
    }
    return storeId
  }

  /**
   * The user of these credentials and, when the token store keeps users, the password
   * version that was verified (see `CreateSessionInput.passwordVersion`).
   */
  const verifyCredentials = async (
    username: string,
    password: string,
  ): Promise<{ user: AuthUser; passwordVersion?: number } | null> => {
    if (!ownUsers) {
      const user = await authenticate(username, password)
      return user === null ? null : { user }
    }
    const record = await verifyStoreUser(store, passwords, username, password)
    if (record === null) return null
    if (passwords.needsRehash?.(record.passwordHash) === true) {
      // The same password under today's parameters, while the password is at hand (in this
      // login's slot of the hash queue); only over the hash that was verified, and keeping
      // the password version, so a change meanwhile wins and no session is touched.
      const stronger = await passwords.hash(password)
      await store.setPasswordHash(record.id, stronger, { rehashOf: record.passwordHash })
    }
    return {
      user: { id: record.id, username: record.username },
      passwordVersion: record.passwordVersion ?? 0,
    }
  }

  const authenticate = async (username: string, password: string): Promise<AuthUser | null> => {
    if (failures === null) return users.authenticate(username, password)
    const started = performance.now()
    const user = await users.authenticate(username, password)
    if (user !== null) failures.succeeded(performance.now() - started)
    else await failures.failed(performance.now() - started)
    return user
  }

  /** The id of a username's user, for the lockout event; only the token store can say. */
  const userIdOfName = async (username: string): Promise<string | null> =>
    ownUsers ? ((await store.findUserByUsername(username))?.id ?? null) : null

  const endSessions = (
    reason: SessionEndReason,
    userId: string,
    sessionId: string | null,
    count: number,
    origin: CallOrigin,
  ) => {
    if (count > 0) {
      events.emit('sessionEnded', {
        reason,
        userId,
        sessionId,
        count,
        clientAddress: origin.clientAddress ?? null,
      })
    }
  }

  return {
    publicJwks: keys.access.publicJwks,
    events,
    canRegister: create !== undefined,
    verifyAccessToken(token) {
      const context = access.verifyAccessToken(token)
      revocations.assertNotRevoked(context.claims)
      return context
    },

    async register({ username, password, clientAddress = 'unknown' }) {
      if (create === undefined) {
        throw new AuthError('not_found', 'registration is not offered by this server')
      }
      checkNewPasswordLength(password, 'password')
      await limits.reserveRegistration(clientAddress)
      // Judged and hashed (by the adapter) in one slot of the bounded hash queue, behind the
      // limit: an anonymous flood of long weak passwords costs its sender, not everyone else.
      const user = await hashQueue.run(clientAddress, async () => {
        await checkNewPassword(password, username, 'password')
        return create.call(users, username, password)
      })
      if (user === null) throw new AuthError('user_exists', 'this username is already taken')
      return { id: user.id, username: user.username }
    },

    async login({ username, password, clientAddress, userAgent, deviceToken }) {
      const emitLogin = (
        outcome: LoginOutcome,
        ids: { userId: string; sessionId: string } | null = null,
      ) =>
        events.emit('login', {
          outcome,
          username,
          userId: ids?.userId ?? null,
          sessionId: ids?.sessionId ?? null,
          clientAddress,
        })
      // A device that signed in as this user before is limited on its own, not with strangers.
      const device = devices.check(deviceToken, username)
      // Reserved before the password is verified: a parallel burst cannot pass a check
      // that would only be counted afterwards.
      let reservation: LoginReservation
      try {
        reservation = await limits.reserveLogin(username, clientAddress, device)
      } catch (error) {
        if (isAuthError(error) && error.code === 'rate_limited') emitLogin('rate_limited')
        throw error
      }
      let user: AuthUser | null
      let passwordVersion: number | undefined
      try {
        // The adapter verifies the password (an unknown user costs the same work) in a slot
        // of the bounded hash queue, where a known device goes first.
        const verified = await hashQueue.run(
          clientAddress,
          () => verifyCredentials(username, password),
          { priority: device !== null },
        )
        user = verified?.user ?? null
        passwordVersion = verified?.passwordVersion
      } catch (error) {
        // Nothing was verified: this try was no failure.
        await reservation.cancelled().catch(() => undefined)
        throw error
      }
      if (user === null) {
        // Once per lock: when a failure uses the last try of a limit.
        if (reservation.locks.length > 0) {
          events.emit('loginLocked', {
            username,
            userId: await userIdOfName(username),
            clientAddress,
            limits: reservation.locks,
          })
        }
        emitLogin('invalid_credentials')
        throw new AuthError('invalid_credentials', 'wrong username or password')
      }
      const sessionId = randomId()
      let storeId: string
      let signed: SignedAccessToken
      try {
        storeId = await ensureSessionOwner(user)
        // Signed first: a claims hook that fails leaves no session behind.
        signed = await signAccess(user, sessionId)
      } catch (error) {
        // The password was right: a failure of ours is not a failed try of theirs.
        await reservation.cancelled().catch(() => undefined)
        throw error
      }
      const now = clock()
      let session: CreatedSession
      try {
        ;[session] = await Promise.all([
          // The password version the login verified: a change since then leaves no session
          // (the store checks it in the same step as it creates the session).
          store.createSession({
            userId: storeId,
            sessionId,
            userAgent: userAgent === null ? null : userAgent.slice(0, MAX_USER_AGENT),
            now,
            idleTtlSeconds: refreshTtl,
            maxAgeSeconds: maxAge,
            maxSessions,
            ...(passwordVersion === undefined ? {} : { passwordVersion }),
          }),
          reservation.succeeded(),
        ])
      } catch (error) {
        if (isAuthError(error) && error.code === 'invalid_credentials') {
          emitLogin('invalid_credentials')
        }
        throw error
      }
      const evicted = session.evictedSessionIds
      if (evicted.length > 0) {
        await sessionsAlreadyEnded(user.id, evicted)
        for (const id of evicted) {
          events.emit('sessionEnded', {
            reason: 'evicted',
            userId: user.id,
            sessionId: id,
            count: 1,
            bySessionId: session.id,
            clientAddress,
          })
        }
      }
      const response = tokenResponse(session, signed)
      emitLogin('success', { userId: user.id, sessionId: session.id })
      return { ...response, deviceToken: devices.issue(username) }
    },

    async refresh(refreshToken, origin = {}) {
      const clientAddress = origin.clientAddress ?? null
      // A forged or tampered token stops here, before any store call.
      const claims = refreshTokens.parse(refreshToken)
      if (claims === null) {
        events.emit('refresh', { outcome: 'invalid', userId: null, sessionId: null, clientAddress })
        throw invalidRefresh()
      }
      let ids = { userId: claims.userId, sessionId: claims.sessionId }
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
        if (!ownUsers)
          ids = { ...ids, userId: (await adapterIdOfStoreId(ids.userId)) ?? ids.userId }
        events.emit('refresh', { outcome: 'reused', ...ids, clientAddress })
        await sessionsAlreadyEnded(ids.userId, [ids.sessionId])
        events.emit('reuseDetected', { ...ids, clientAddress })
        endSessions('reuse', ids.userId, ids.sessionId, 1, origin)
        throw new AuthError(
          'refresh_token_reused',
          'this refresh token was already used; the session has been revoked',
        )
      }
      if (result.status === 'invalid') {
        events.emit('refresh', { outcome: 'invalid', ...ids, clientAddress })
        throw invalidRefresh()
      }
      let user: AuthUser | null = { id: claims.userId, username: result.username }
      if (!ownUsers) {
        const adapterId = adapterIdOf(result.username)
        ids = { ...ids, userId: adapterId ?? ids.userId }
        user = adapterId === null ? null : await users.findById(adapterId)
        if (user === null) {
          // The user is gone from their database: so is the session.
          await sessionsEnded(ids.userId, [ids.sessionId])
          const ended = await store.revokeSession(claims.userId, claims.sessionId)
          events.emit('refresh', { outcome: 'invalid', ...ids, clientAddress })
          endSessions('revoked', ids.userId, ids.sessionId, ended ? 1 : 0, origin)
          throw invalidRefresh()
        }
      }
      const response = tokenResponse(result.session, await signAccess(user, claims.sessionId))
      events.emit('refresh', { outcome: result.status, ...ids, clientAddress })
      return response
    },

    async logout(refreshToken, origin = {}) {
      const claims = refreshTokens.parse(refreshToken)
      if (claims === null) return
      const userId = await adapterIdOfStoreId(claims.userId)
      // Recorded before the session ends, so that no outage between the two steps can end
      // the session and leave its access tokens alive; and recorded even when the session
      // was already gone, so a logout retried after a lost answer still reaches them. Only a
      // genuine token gets here.
      await sessionsEnded(userId ?? claims.userId, [claims.sessionId])
      const ended = await store.revokeSession(claims.userId, claims.sessionId)
      events.emit('logout', {
        all: false,
        userId: userId ?? claims.userId,
        sessionId: claims.sessionId,
        sessions: ended ? 1 : 0,
        clientAddress: origin.clientAddress ?? null,
      })
      endSessions('logout', userId ?? claims.userId, claims.sessionId, ended ? 1 : 0, origin)
    },

    async logoutAll(userId, origin = {}) {
      const notBefore = Math.floor(clock() / 1000)
      // Every access token of an earlier second is refused before any session ends; those of
      // this second are matched by their sessions, recorded once the store names them.
      await sessionsEnded(userId, [], notBefore)
      const ended = await store.revokeAllSessions(storeIdOf(userId))
      if (ended.length > 0) await sessionsAlreadyEnded(userId, ended)
      const count = ended.length
      events.emit('logout', {
        all: true,
        userId,
        sessionId: origin.sessionId ?? null,
        sessions: count,
        clientAddress: origin.clientAddress ?? null,
      })
      endSessions('logout_all', userId, null, count, origin)
      return count
    },

    async changePassword({ userId, sessionId, currentPassword, newPassword, clientAddress }) {
      // Another adapter owns its users' passwords: it changes them, not the token server.
      if (!ownUsers) {
        throw new AuthError('not_found', 'password change is not offered by this server')
      }
      checkNewPasswordLength(newPassword, 'newPassword')
      const user = await store.findUserById(userId)
      if (user === null) throw new AuthError('invalid_credentials', 'wrong password')
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
          events.emit('loginLocked', {
            userId,
            username: user.username,
            clientAddress,
            limits: reservation.locks,
          })
        }
        throw new AuthError('invalid_credentials', 'the current password is wrong')
      }
      await reservation.succeeded()
      const passwordHash = await hashQueue.run(clientAddress, async () => {
        await checkNewPassword(newPassword, user.username, 'newPassword')
        return passwords.hash(newPassword)
      })
      // The other sessions' access tokens are refused before anything changes: if recording
      // fails, nothing has, and the change can be tried again with the same password.
      const others = (await store.listSessions(userId, clock()))
        .map((session) => session.id)
        .filter((id) => id !== sessionId)
      if (others.length > 0) await sessionsEnded(userId, others)
      // A new password version: a login that verified the old password and has not created
      // its session yet cannot create it now (see CreateSessionInput.passwordVersion) ...
      if (!(await store.setPasswordHash(userId, passwordHash))) {
        throw new AuthError('invalid_credentials', 'wrong password')
      }
      // ... and one that created it before is ended here.
      const ended = await store.revokeAllSessions(userId, sessionId)
      const unrecorded = ended.filter((id) => !others.includes(id))
      if (unrecorded.length > 0) await sessionsAlreadyEnded(userId, unrecorded)
      endSessions('revoked', userId, null, ended.length, { clientAddress })
      events.emit('passwordChanged', {
        userId,
        sessionId,
        sessionsEnded: ended.length,
        clientAddress,
      })
    },

    async listSessions(userId, currentSessionId) {
      const sessions = await store.listSessions(storeIdOf(userId), clock())
      return sessions.map((session) => ({
        id: session.id,
        createdAt: new Date(session.createdAt).toISOString(),
        lastUsedAt: new Date(session.lastUsedAt).toISOString(),
        userAgent: session.userAgent,
        current: session.id === currentSessionId,
      }))
    },

    async revokeSession(userId, sessionId, origin = {}) {
      const storeId = storeIdOf(userId)
      // Only the caller's own session is recorded, and before it ends (see logout).
      if ((await store.getSession(storeId, sessionId, clock())) === null) {
        throw new AuthError('not_found', 'no such session')
      }
      await sessionsEnded(userId, [sessionId])
      if (!(await store.revokeSession(storeId, sessionId))) {
        throw new AuthError('not_found', 'no such session')
      }
      endSessions('revoked', userId, sessionId, 1, origin)
    },
  }
}
