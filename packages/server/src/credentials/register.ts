import type { PublicUser } from '@refresh-kit/shared'
import { AuthError } from '../errors.js'
import type { Parts } from '../lib/parts.js'
import { checkNewPassword, checkNewPasswordLength } from './new-password.js'

/** Input of a registration. */
export interface RegisterInput {
  username: string
  password: string
  /** The client's address, for the registration limit. @default 'unknown' (one shared budget) */
  clientAddress?: string
}

/**
 * Creates a user through the user adapter.
 * @throws AuthError `user_exists`, `rate_limited`, `service_unavailable` (hasher full), or
 * `not_found` when registration is off
 */
export async function register(
  parts: Parts,
  { username, password, clientAddress = 'unknown' }: RegisterInput,
): Promise<PublicUser> {
  const { users } = parts.accounts
  const create = users.create
  if (create === undefined) {
    throw new AuthError('not_found', 'registration is not offered by this server')
  }
  checkNewPasswordLength(parts.passwordPolicy, password, 'password')
  await parts.limits.reserveRegistration(clientAddress)
  // Judged and hashed (by the adapter) in one slot of the bounded hash queue, behind the
  // limit: an anonymous flood of long weak passwords costs its sender, not everyone else.
  const user = await parts.hashQueue.run(clientAddress, async () => {
    await checkNewPassword(parts.passwordPolicy, password, username, 'password')
    return create.call(users, username, password)
  })
  if (user === null) throw new AuthError('user_exists', 'this username is already taken')
  return { id: user.id, username: user.username }
}
