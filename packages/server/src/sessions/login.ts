import type { TokenResponse } from '@refresh-kit/shared'
import type { SignedAccessToken } from '../access-tokens/sign-and-verify.js'
import type { LoginReservation } from '../credentials/limits/abuse-limits.js'
import type { AuthUser } from '../credentials/users/types.js'
import { AuthError, isAuthError } from '../errors.js'
import type { LoginOutcome } from '../events/auth-events.js'
import type { Parts } from '../lib/parts.js'
import { randomId } from '../lib/random-id.js'
import type { CreatedSession } from '../store/types.js'

/** Input of a login. */
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

const MAX_USER_AGENT = 256

/**
 * Starts a session, ending the user's least recently used one beyond the session bound. The
 * answer carries a fresh `deviceToken` for the client to present at its next login.
 *
 * @throws AuthError `invalid_credentials`, `rate_limited`, `service_unavailable` (hasher full)
 */
export async function login(
  parts: Parts,
  { username, password, clientAddress, userAgent, deviceToken }: LoginInput,
): Promise<TokenResponse & { deviceToken: string }> {
  const { accounts, events, limits, hashQueue, devices, store, tokens } = parts
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
  // Reserved before the password is verified: a parallel burst cannot pass a check that
  // would only be counted afterwards.
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
    // The adapter verifies the password (an unknown user costs the same work) in a slot of
    // the bounded hash queue, where a known device goes first.
    const verified = await hashQueue.run(clientAddress, () => accounts.verify(username, password), {
      priority: device !== null,
    })
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
        userId: await accounts.userIdOfName(username),
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
    storeId = await accounts.sessionOwner(user)
    // Signed first: a claims hook that fails leaves no session behind.
    signed = await tokens.sign(user, sessionId)
  } catch (error) {
    // The password was right: a failure of ours is not a failed try of theirs.
    await reservation.cancelled().catch(() => undefined)
    throw error
  }
  const now = parts.clock()
  let session: CreatedSession
  try {
    ;[session] = await Promise.all([
      // The password version the login verified: a change since then leaves no session (the
      // store checks it in the same step as it creates the session).
      store.createSession({
        userId: storeId,
        sessionId,
        userAgent: userAgent === null ? null : userAgent.slice(0, MAX_USER_AGENT),
        now,
        idleTtlSeconds: parts.refreshTtlSeconds,
        maxAgeSeconds: parts.sessionMaxAgeSeconds,
        maxSessions: parts.maxSessionsPerUser,
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
  await parts.endSessions({
    reason: 'evicted',
    userId: user.id,
    sessionIds: session.evictedSessionIds,
    sessionId: null,
    bySessionId: session.id,
    clientAddress,
  })
  const response = tokens.response(session, signed)
  emitLogin('success', { userId: user.id, sessionId: session.id })
  return { ...response, deviceToken: devices.issue(username) }
}
