import type { Clock } from '../../clock.js'
import { randomId } from '../../lib/random-id.js'
import type { TokenStore, UserRecord } from '../../store/types.js'
import type { PasswordHasher } from '../password-hashing.js'
import type { UserAdapter } from './types.js'

const storeOf = new WeakMap<UserAdapter, TokenStore>()

/**
 * Whether `users` keeps its users in `store` itself (the default adapter): the store's
 * rotation then reads the username, and no user record needs mirroring.
 */
export function isBackedBy(users: UserAdapter, store: TokenStore): boolean {
  return storeOf.get(users) === store
}

/**
 * The token store's user of these credentials, as stored (its password version included), or
 * `null` for an unknown user or a wrong password; an unknown user costs the same hashing work.
 */
export async function verifyStoreUser(
  store: TokenStore,
  passwords: PasswordHasher,
  username: string,
  password: string,
): Promise<UserRecord | null> {
  const user = await store.findUserByUsername(username)
  const valid =
    user === null
      ? await passwords.verifyNothing(password)
      : await passwords.verify(password, user.passwordHash)
  return valid ? user : null
}

/** Options of {@link createStoreUsers}. */
export interface StoreUsersOptions {
  /** The token store that keeps the users (Redis or memory). Required. */
  store: TokenStore
  /** Hashes and verifies passwords. Required. */
  passwords: PasswordHasher
  /** Stamps `createdAt`. @default Date.now */
  clock?: Clock
}

/**
 * The default {@link UserAdapter}: users with scrypt password hashes in the token store,
 * registration on. An unknown username costs the same hashing work as a wrong password.
 *
 * @example
 * ```ts
 * const users = createStoreUsers({ store, passwords: createPasswordHasher() })
 * createAuthService({ ...settings, store, keys, users })
 * ```
 */
export function createStoreUsers(options: StoreUsersOptions): UserAdapter {
  const { store, passwords } = options
  const clock = options.clock ?? Date.now
  const users: UserAdapter = {
    async authenticate(username, password) {
      const user = await verifyStoreUser(store, passwords, username, password)
      return user === null ? null : { id: user.id, username: user.username }
    },
    async findById(id) {
      const user = await store.findUserById(id)
      return user === null ? null : { id: user.id, username: user.username }
    },
    async create(username, password) {
      const passwordHash = await passwords.hash(password)
      const user = { id: randomId(), username, passwordHash, createdAt: clock() }
      return (await store.createUser(user)) ? { id: user.id, username: user.username } : null
    },
  }
  storeOf.set(users, store)
  return users
}
