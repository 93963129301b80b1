import { AuthError } from '../errors.js'
import type { Parts } from '../lib/parts.js'
import { checkNewPassword, checkNewPasswordLength } from './new-password.js'

/** Input of a password change. */
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

/**
 * Replaces the password and ends every other session of the user.
 * @throws AuthError `invalid_credentials` (counted as a failed login), `rate_limited`,
 * `invalid_request` for a guessable new password, `service_unavailable` (hasher full),
 * `not_found` when users live in another user adapter (which owns their passwords)
 */
export async function changePassword(
  parts: Parts,
  { userId, sessionId, currentPassword, newPassword, clientAddress }: ChangePasswordInput,
): Promise<void> {
  const { store, passwords, hashQueue, events } = parts
  // Another adapter owns its users' passwords: it changes them, not the token server.
  if (!parts.accounts.ownsPasswords) {
    throw new AuthError('not_found', 'password change is not offered by this server')
  }
  checkNewPasswordLength(parts.passwordPolicy, newPassword, 'newPassword')
  const user = await store.findUserById(userId)
  if (user === null) throw new AuthError('invalid_credentials', 'wrong password')
  // The same reservation as a login's: a wrong current password is a failed login.
  const reservation = await parts.limits.reserveLogin(user.username, clientAddress)
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
    await checkNewPassword(parts.passwordPolicy, newPassword, user.username, 'newPassword')
    return passwords.hash(newPassword)
  })
  // The other sessions' access tokens are refused before anything changes: if recording
  // fails, nothing has, and the change can be tried again with the same password.
  const others = (await store.listSessions(userId, parts.clock()))
    .map((session) => session.id)
    .filter((id) => id !== sessionId)
  const ended = await parts.endSessions({
    reason: 'revoked',
    userId,
    sessionIds: others,
    end: async () => {
      // A new password version: a login that verified the old password and has not created
      // its session yet cannot create it now (see CreateSessionInput.passwordVersion) ...
      if (!(await store.setPasswordHash(userId, passwordHash))) {
        throw new AuthError('invalid_credentials', 'wrong password')
      }
      // ... and one that created it before is ended here.
      return store.revokeAllSessions(userId, sessionId)
    },
    sessionId: null,
    clientAddress,
  })
  events.emit('passwordChanged', {
    userId,
    sessionId,
    sessionsEnded: ended.length,
    clientAddress,
  })
}
