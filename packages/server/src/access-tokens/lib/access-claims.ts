import type { KeyObject } from 'node:crypto'
import { ACCESS_TOKEN_TYPE, type AccessTokenClaims } from '@refresh-kit/shared'
import jwt from 'jsonwebtoken'
import { AuthError } from '../../errors.js'
import type { AuthContext } from '../auth-context.js'
import { type VerifiedJwt, type VerifyJwtOptions, verifyJwt } from './jwt.js'

/** An `invalid_token` error; `cause` is logged, never sent. */
export const invalidToken = (message: string, cause?: unknown) =>
  new AuthError('invalid_token', message, cause === undefined ? {} : { cause })

function readClaims(payload: unknown): AccessTokenClaims | null {
  if (typeof payload !== 'object' || payload === null) return null
  const claims = payload as Record<string, unknown>
  const strings = ['iss', 'sub', 'sid', 'jti', 'username'] as const
  for (const name of strings) {
    if (typeof claims[name] !== 'string' || claims[name] === '') return null
  }
  if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number') return null
  return claims as unknown as AccessTokenClaims
}

/** The `AuthError` a failed `verifyJwt` stands for: `token_expired` or `invalid_token`. */
export function verificationError(error: unknown): AuthError {
  if (error instanceof jwt.TokenExpiredError) {
    return new AuthError('token_expired', 'the access token has expired', { cause: error })
  }
  return invalidToken('the access token is not valid', error)
}

/**
 * What a verified JWT says as an access token: `typ` must be `at+jwt` and every claim of
 * the contract present.
 */
export function authContextOf(decoded: VerifiedJwt): AuthContext {
  // jsonwebtoken 9 does not check `typ`; without this an ID token or any other JWT
  // signed with the same key would pass as an access token (RFC 9068 §4).
  if (decoded.header.typ !== ACCESS_TOKEN_TYPE)
    throw invalidToken('the token is not an access token')
  const claims = readClaims(decoded.payload)
  if (claims === null) throw invalidToken('the access token lacks required claims')
  return { userId: claims.sub, sessionId: claims.sid, username: claims.username, claims }
}

/**
 * Verifies an access token with one key and reads its contract claims: the one path the
 * token server and the JWKS verifier share, so both refuse and accept exactly alike.
 */
export function verifyAccessTokenWith(
  token: string,
  key: KeyObject,
  options: VerifyJwtOptions,
): AuthContext {
  let decoded: VerifiedJwt
  try {
    decoded = verifyJwt(token, key, options)
  } catch (error) {
    throw verificationError(error)
  }
  return authContextOf(decoded)
}
