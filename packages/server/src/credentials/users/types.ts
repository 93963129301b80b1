/** A user as the token server needs to know them: an id for `sub`, a name for `username`. */
export interface AuthUser {
  /** Stable and unique; becomes the access token's `sub`. At most 128 characters. */
  id: string
  /** Shown to the user and carried in the access token's `username` claim. */
  username: string
}

/**
 * Where users live: the token server's Redis by default, or your own database. The server
 * keeps the timing and the rate limits of logins; an adapter only answers questions.
 *
 * @example
 * ```ts
 * const users: UserAdapter = {
 *   async authenticate(username, password) {
 *     const row = await db.users.findByName(username)
 *     return row && (await verify(row.hash, password)) ? { id: row.id, username: row.name } : null
 *   },
 *   findById: async (id) => db.users.findPublic(id),
 * }
 * ```
 */
export interface UserAdapter {
  /**
   * The user these credentials belong to, or `null` for an unknown user or a wrong password
   * (the server makes both take the same time, and counts both toward the login limits).
   * Throwing makes the login a `500` (or a `503` for a `StoreUnavailableError`).
   */
  authenticate(username: string, password: string): Promise<AuthUser | null>
  /**
   * The user with this id, or `null` when they are gone: asked at every refresh, so a
   * deleted user's sessions end at their next refresh.
   */
  findById(id: string): Promise<AuthUser | null>
  /**
   * Creates a user; `null` when the username is taken. Without it, registration is off
   * (`POST /auth/register` answers `404 not_found`).
   * @default absent: registration off
   */
  create?(username: string, password: string): Promise<AuthUser | null>
}
