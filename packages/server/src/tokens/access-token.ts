import { ACCESS_TOKEN_TYPE, type AccessTokenClaims } from '@refresh-kit/shared'
import jwt from 'jsonwebtoken'
import { AuthError } from '../errors.js'
import { randomId } from '../lib/random-id.js'
import type { Clock } from '../store/types.js'
import type { AccessTokenKeys } from './keys.js'

/** Options of {@link createAccessTokens}. */
export interface AccessTokensOptions {
  /** Signing and verification keys. Required. */
  keys?: AccessTokenKeys
  /** `iss` written and required. @default 'refresh-kit' */
  issuer?: string
  /** `aud` written and required. @default 'refresh-kit' */
  audience?: string
  /** Lifetime of an access token in seconds. @default 900 */
  ttlSeconds?: number
  /** Leeway for `exp` and `nbf`, in seconds. @default 5 */
  clockToleranceSeconds?: number
  /** Milliseconds since the epoch. @default Date.now */
  clock?: Clock
}

/** Who an access token speaks for. */
export interface AccessTokenSubject {
  userId: string
  sessionId: string
  username: string
}

/** A freshly signed access token. */
export interface SignedAccessToken {
  token: string
  /** Seconds until it expires. */
  expiresIn: number
}

/** What a verified access token says; `requireAuth` puts it in `ctx.state.auth`. */
export interface AuthContext extends AccessTokenSubject {
  claims: AccessTokenClaims
}

/** Verifies access tokens without touching the store. */
export interface AccessTokenVerifier {
  /** @throws AuthError `invalid_token` or `token_expired`. */
  verifyAccessToken(token: string): AuthContext
}

/** Signs and verifies access tokens. */
export interface AccessTokens extends AccessTokenVerifier {
  sign(subject: AccessTokenSubject): SignedAccessToken
}

function positiveInteger(option: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`createAccessTokens: options.${option} must be an integer >= ${min}`)
  }
  return value
}

function nonEmpty(option: string, value: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`createAccessTokens: options.${option} must be a non-empty string`)
  }
  return value
}

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

const invalid = (message: string, cause?: unknown) =>
  new AuthError('invalid_token', message, cause === undefined ? {} : { cause })

/**
 * Access tokens (RFC 9068 JWTs): header `typ: at+jwt` and a pinned `alg`, claims `iss`,
 * `aud`, `sub`, `sid`, `jti`, `iat`, `exp`, `username`. Verification pins the algorithm
 * allow-list, `typ`, `iss` and `aud`, and allows a small clock tolerance.
 *
 * @example
 * ```ts
 * const access = createAccessTokens({ keys: keys.access })
 * const { token } = access.sign({ userId, sessionId, username })
 * access.verifyAccessToken(token).userId
 * ```
 */
export function createAccessTokens(options: AccessTokensOptions): AccessTokens {
  const keys = options.keys
  if (keys === undefined) throw new TypeError('createAccessTokens: options.keys is required')
  const issuer = nonEmpty('issuer', options.issuer ?? 'refresh-kit')
  const audience = nonEmpty('audience', options.audience ?? 'refresh-kit')
  const ttlSeconds = positiveInteger('ttlSeconds', options.ttlSeconds ?? 900, 1)
  const tolerance = positiveInteger('clockToleranceSeconds', options.clockToleranceSeconds ?? 5, 0)
  const clock = options.clock ?? Date.now
  const algorithms = [...keys.algorithms]

  return {
    sign({ userId, sessionId, username }) {
      const iat = Math.floor(clock() / 1000)
      const claims: AccessTokenClaims = {
        iss: issuer,
        aud: audience,
        sub: userId,
        sid: sessionId,
        jti: randomId(),
        iat,
        exp: iat + ttlSeconds,
        username,
      }
      const token = jwt.sign(claims, keys.signingKey, {
        algorithm: keys.algorithm,
        header: {
          alg: keys.algorithm,
          typ: ACCESS_TOKEN_TYPE,
          ...(keys.kid === undefined ? {} : { kid: keys.kid }),
        },
      })
      return { token, expiresIn: ttlSeconds }
    },

    verifyAccessToken(token) {
      let decoded: jwt.Jwt
      try {
        decoded = jwt.verify(token, keys.verificationKey, {
          algorithms,
          issuer,
          audience,
          clockTolerance: tolerance,
          clockTimestamp: Math.floor(clock() / 1000),
          complete: true,
        })
      } catch (error) {
        if (error instanceof jwt.TokenExpiredError) {
          throw new AuthError('token_expired', 'the access token has expired', { cause: error })
        }
        throw invalid('the access token is not valid', error)
      }
      // jsonwebtoken 9 does not check `typ`; without this an ID token or any other JWT
      // signed with the same key would pass as an access token (RFC 9068 §4).
      if (decoded.header.typ !== ACCESS_TOKEN_TYPE)
        throw invalid('the token is not an access token')
      const claims = readClaims(decoded.payload)
      if (claims === null) throw invalid('the access token lacks required claims')
      return { userId: claims.sub, sessionId: claims.sid, username: claims.username, claims }
    },
  }
}
