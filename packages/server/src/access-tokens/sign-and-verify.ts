import type { KeyObject } from 'node:crypto'
import { ACCESS_TOKEN_TYPE, type AccessTokenClaims } from '@refresh-kit/shared'
import type { Clock } from '../clock.js'
import { checkOptions, integerRule, nonEmptyStringRule, requiredRule } from '../lib/options.js'
import { randomId } from '../lib/random-id.js'
import { isAccessTokenAlgorithm } from './algorithms.js'
import type { AccessTokenSubject, AuthContext } from './auth-context.js'
import type { AccessTokenKeys } from './keys.js'
import { invalidToken, verifyAccessTokenWith } from './lib/access-claims.js'
import { createJwtSigner, readHeader } from './lib/jwt.js'
import { verifiedTokens } from './lib/verified-tokens.js'

/** Options of {@link createAccessTokens}. */
export interface AccessTokensOptions {
  /** Signing and verification keys. */
  keys: AccessTokenKeys
  /** `iss` written and required. */
  issuer: string
  /** `aud` written and required. */
  audience: string
  /** Lifetime of an access token in seconds. */
  ttlSeconds: number
  /** Leeway for `exp` and `nbf`, in seconds. */
  clockToleranceSeconds: number
  /** Milliseconds since the epoch. @default Date.now */
  clock?: Clock
}

/** A freshly signed access token. */
export interface SignedAccessToken {
  token: string
  /** Seconds until it expires. */
  expiresIn: number
}

/** Verifies access tokens without touching the store. */
export interface AccessTokenVerifier {
  /** @throws AuthError `invalid_token` or `token_expired`. */
  verifyAccessToken(token: string): AuthContext
}

/** Signs and verifies access tokens. */
export interface AccessTokens extends AccessTokenVerifier {
  /**
   * Signs a token for `subject`; `extraClaims` (already checked, see `accessTokenClaims`)
   * come first, so the claims the server sets always win.
   */
  sign(
    subject: AccessTokenSubject,
    extraClaims?: Readonly<Record<string, unknown>>,
  ): SignedAccessToken
}

/**
 * Access tokens (RFC 9068 JWTs): header `typ: at+jwt`, a pinned `alg` and, with an
 * asymmetric algorithm, the `kid` of the signing key; claims `iss`, `aud`, `sub`, `sid`,
 * `jti`, `iat`, `exp`, `username`. Verification pins the algorithm allow-list to exactly
 * the configured algorithm (so `alg: none` and an HS256 token keyed with a public key are
 * refused), picks the key by `kid` among the keys of the set (an unknown `kid` is
 * `invalid_token`), and checks `typ`, `iss`, `aud` with a small clock tolerance.
 *
 * @example
 * ```ts
 * const access = createAccessTokens({
 *   keys: keys.access, issuer: 'https://auth.example', audience: 'api', ttlSeconds: 900, clockToleranceSeconds: 5,
 * })
 * const { token } = access.sign({ userId, sessionId, username })
 * access.verifyAccessToken(token).userId
 * ```
 */
export function createAccessTokens(options: AccessTokensOptions): AccessTokens {
  const {
    keys,
    issuer,
    audience,
    ttlSeconds,
    clockToleranceSeconds: tolerance,
  } = checkOptions('createAccessTokens', options, {
    keys: requiredRule,
    issuer: nonEmptyStringRule,
    audience: nonEmptyStringRule,
    ttlSeconds: integerRule(1),
    clockToleranceSeconds: integerRule(0),
  })
  const clock = options.clock ?? Date.now
  const algorithm = keys.algorithm
  if (!isAccessTokenAlgorithm(algorithm)) {
    throw new TypeError('createAccessTokens: options.keys.algorithm must be HS256, ES256 or RS256')
  }
  if (keys.algorithms.length !== 1 || keys.algorithms[0] !== algorithm) {
    // One algorithm per deployment: a wider allow-list is where algorithm confusion starts.
    throw new TypeError('createAccessTokens: options.keys.algorithms must be exactly [algorithm]')
  }
  const symmetric = algorithm === 'HS256'
  const byKid: ReadonlyMap<string, KeyObject> =
    keys.verificationKeys ??
    new Map(keys.kid === undefined ? [] : [[keys.kid, keys.verificationKey]])
  if (!symmetric && (keys.kid === undefined || !byKid.has(keys.kid))) {
    throw new TypeError('createAccessTokens: options.keys.kid must name a verification key')
  }

  // The header of every token this server signs is the same: encoded once, here.
  let signJwt: (claims: AccessTokenClaims) => string
  try {
    signJwt = createJwtSigner(keys.signingKey, algorithm, { typ: ACCESS_TOKEN_TYPE, kid: keys.kid })
  } catch (error) {
    throw new TypeError(`createAccessTokens: options.keys.signingKey: ${(error as Error).message}`)
  }

  const keyOf = (token: string): KeyObject => {
    // HS256 has one secret and no kid, exactly as before keys could rotate.
    if (symmetric) return keys.verificationKey
    const kid = readHeader(token)?.kid
    const key = typeof kid === 'string' ? byKid.get(kid) : undefined
    if (key === undefined) {
      throw invalidToken(
        typeof kid === 'string'
          ? 'the access token was signed with an unknown key'
          : 'the access token has no key id',
      )
    }
    return key
  }

  // The key set is fixed for the life of this object, so a verified token stays verified
  // until its time bounds say otherwise: a client's repeat requests skip the signature check.
  const verified = verifiedTokens(tolerance)

  return {
    sign({ userId, sessionId, username }, extraClaims) {
      const iat = Math.floor(clock() / 1000)
      const claims: AccessTokenClaims = {
        ...extraClaims,
        iss: issuer,
        aud: audience,
        sub: userId,
        sid: sessionId,
        jti: randomId(),
        iat,
        exp: iat + ttlSeconds,
        username,
      }
      return { token: signJwt(claims), expiresIn: ttlSeconds }
    },

    verifyAccessToken(token) {
      const nowSeconds = Math.floor(clock() / 1000)
      const known = verified.get(token, nowSeconds)
      if (known !== undefined) return known
      const context = verifyAccessTokenWith(token, keyOf(token), {
        algorithm,
        issuer,
        audience,
        clockToleranceSeconds: tolerance,
        nowSeconds,
      })
      verified.set(token, context)
      return context
    },
  }
}
