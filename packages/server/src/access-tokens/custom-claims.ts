import type { AuthUser } from '../credentials/users/types.js'

/** Input of an {@link AccessTokenClaimsHook}. */
export interface AccessTokenClaimsInput {
  /** The user the token is for, as the user adapter knows them now. */
  user: AuthUser
  /** The session (token family) the token belongs to. */
  sessionId: string
}

/**
 * Adds claims to every access token, at login and at every refresh (so a role change
 * reaches the next token). Registered claims cannot be set.
 *
 * @example
 * ```ts
 * const accessTokenClaims: AccessTokenClaimsHook = async ({ user }) => ({
 *   scope: (await db.scopesOf(user.id)).join(' '),
 *   roles: await db.rolesOf(user.id),
 * })
 * ```
 */
export type AccessTokenClaimsHook = (
  input: AccessTokenClaimsInput,
) => Record<string, unknown> | Promise<Record<string, unknown>>

/**
 * Claims the server writes itself: the JWT registered claims (RFC 7519 §4.1) and those of
 * the contract. A custom claim of one of these names is refused.
 */
export const REGISTERED_CLAIMS: readonly string[] = [
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'sid',
  'username',
]

/**
 * Largest access token, in bytes, custom claims included: a token travels in a header on
 * every request, and servers refuse large headers (8 KiB in total is a common limit).
 */
export const MAX_ACCESS_TOKEN_BYTES = 4096

const registered = new Set(REGISTERED_CLAIMS)

/** The claims a hook returned, checked: a plain object of JSON values with no registered name. */
export function checkCustomClaims(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('accessTokenClaims must return a plain object of claims')
  }
  const claims = value as Record<string, unknown>
  for (const [name, claim] of Object.entries(claims)) {
    if (registered.has(name)) {
      throw new TypeError(
        `accessTokenClaims: "${name}" is a registered claim the server sets; it cannot be overridden`,
      )
    }
    if (claim === undefined || typeof claim === 'function' || typeof claim === 'bigint') {
      throw new TypeError(`accessTokenClaims: claim "${name}" is not a JSON value`)
    }
  }
  return claims
}

/** Throws when a signed token is past {@link MAX_ACCESS_TOKEN_BYTES}. */
export function checkTokenSize(token: string): string {
  const bytes = Buffer.byteLength(token)
  if (bytes > MAX_ACCESS_TOKEN_BYTES) {
    throw new TypeError(
      `accessTokenClaims: the access token would be ${bytes} bytes, over the ${MAX_ACCESS_TOKEN_BYTES}-byte bound; put less in its claims`,
    )
  }
  return token
}
