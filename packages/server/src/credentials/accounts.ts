import { createHash } from 'node:crypto'
import type { Clock } from '../clock.js'
import { failureTimer } from '../lib/failure-timer.js'
import type { TokenStore } from '../store/types.js'
import type { PasswordHasher } from './password-hashing.js'
import { verifyStoreUser } from './users/store-users.js'
import type { AuthUser, UserAdapter } from './users/types.js'

/** The user of verified credentials, and the password version a login verified. */
export interface VerifiedUser {
  user: AuthUser
  /** Set when the token store keeps the user (see `CreateSessionInput.passwordVersion`). */
  passwordVersion?: number
}

/**
 * The users of the token service as its use cases see them, whichever adapter keeps them:
 * the token store (the default adapter) or another one, whose users get a small record in
 * the store to keep their sessions under. Decided once, in {@link createAccounts}.
 */
export interface Accounts {
  /** The adapter itself. */
  readonly users: UserAdapter
  /** Whether the token store keeps the users and their passwords (password change is offered). */
  readonly ownsPasswords: boolean
  /** The user of these credentials, or `null`; failures take the time successes take. */
  verify(username: string, password: string): Promise<VerifiedUser | null>
  /** The id the store keeps a user's sessions under. */
  storeIdOf(userId: string): string
  /** The store id of `user`, creating the record the store's scripts bound sessions with. */
  sessionOwner(user: AuthUser): Promise<string>
  /** The adapter's id behind a store id, for events after a store-only step. */
  userIdOfStoreId(storeId: string): Promise<string | null>
  /**
   * The user a rotation refreshes, from the name of its store record: the adapter's id
   * (`userId`, the store id when it cannot tell) and the user, `null` when they are gone.
   */
  userOfRotation(
    storeId: string,
    recordName: string,
  ): Promise<{ userId: string; user: AuthUser | null }>
  /** The id of a username's user, for the lockout event; only the token store can say. */
  userIdOfName(username: string): Promise<string | null>
}

/** What {@link createAccounts} needs. */
export interface AccountsOptions {
  users: UserAdapter
  /** The store the users are kept in when `users` is the default adapter. */
  store: TokenStore
  /** Whether `users` is the default adapter over `store` (see `isBackedBy`). */
  ownUsers: boolean
  passwords: PasswordHasher
  clock: Clock
}

/**
 * The accounts of `users`: the store's own users when `users` is the default adapter over
 * `store` (the rotation script then reads the username in the same round trip), any other
 * adapter otherwise (asked at every refresh, so a deleted user cannot refresh).
 */
export function createAccounts(options: AccountsOptions): Accounts {
  return options.ownUsers ? storeAccounts(options) : adapterAccounts(options)
}

function storeAccounts({ users, store, passwords }: AccountsOptions): Accounts {
  return {
    users,
    ownsPasswords: true,
    async verify(username, password) {
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
    },
    storeIdOf: (userId) => userId,
    sessionOwner: async (user) => user.id,
    userIdOfStoreId: async (storeId) => storeId,
    userOfRotation: async (storeId, username) => ({
      userId: storeId,
      user: { id: storeId, username },
    }),
    userIdOfName: async (username) => (await store.findUserByUsername(username))?.id ?? null,
  }
}

// A name no username can take ('#' is not allowed in one), holding the adapter's id.
const OWNER = '#'

/** The adapter's id of a session owner, from the name of its store record. */
const adapterIdOf = (recordName: string): string | null =>
  recordName.startsWith(OWNER) ? recordName.slice(OWNER.length) : null

function adapterAccounts({ users, store, clock }: AccountsOptions): Accounts {
  // An adapter that answers "no such user" faster than "wrong password" would tell an
  // attacker which usernames exist: failures are held to the time successes take.
  const failures = failureTimer()
  /**
   * Another adapter's ids (UUIDs, numbers, anything) are digested into the fixed-size id
   * refresh tokens and store keys are built from; the user record kept under it (see
   * sessionOwner) names the adapter's id, read back in the rotation's round trip.
   */
  const storeIdOf = (userId: string) =>
    createHash('sha256').update(`user:${userId}`).digest().subarray(0, 16).toString('base64url')
  return {
    users,
    ownsPasswords: false,
    async verify(username, password) {
      const started = performance.now()
      const user = await users.authenticate(username, password)
      if (user !== null) failures.succeeded(performance.now() - started)
      else await failures.failed(performance.now() - started)
      return user === null ? null : { user }
    },
    storeIdOf,
    /**
     * The store's scripts bound and expire each user's sessions through a user record; a
     * user of another adapter gets one with their id and a name no real username can take.
     */
    async sessionOwner(user) {
      if (typeof user.id !== 'string' || user.id === '' || user.id.length > 128) {
        throw new TypeError('users.authenticate must return an id of 1 to 128 characters')
      }
      const storeId = storeIdOf(user.id)
      if ((await store.findUserById(storeId)) !== null) return storeId
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
    },
    async userIdOfStoreId(storeId) {
      const record = await store.findUserById(storeId)
      return record === null ? null : adapterIdOf(record.username)
    },
    async userOfRotation(storeId, recordName) {
      const adapterId = adapterIdOf(recordName)
      return {
        userId: adapterId ?? storeId,
        user: adapterId === null ? null : await users.findById(adapterId),
      }
    },
    userIdOfName: async () => null,
  }
}
