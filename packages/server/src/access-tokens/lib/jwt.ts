import type { KeyObject } from 'node:crypto'
import jwt from 'jsonwebtoken'
import type { AccessTokenAlgorithm } from '../algorithms.js'

// Every access token is signed and verified by jsonwebtoken, with KeyObjects built once at
// start (handed a string secret, it would rebuild the key on every call). What stays here is
// configuration and a few structural checks done before the library sees a token: a length
// bound, a header that is one JSON object, and one spelling of the signature.

/** A decoded JOSE header; nothing in it is trusted until the signature is checked. */
export interface JwtHeader {
  alg?: unknown
  typ?: unknown
  kid?: unknown
}

/** What signing writes into the header besides `alg`. */
export interface SignHeader {
  typ: string
  kid?: string | undefined
}

/** The checks of {@link verifyJwt}; the algorithm allow-list is exactly `algorithm`. */
export interface VerifyJwtOptions {
  algorithm: AccessTokenAlgorithm
  issuer: string
  audience: string
  clockToleranceSeconds: number
  /** Seconds since the epoch. */
  nowSeconds: number
}

/** A token whose signature and registered claims checked out. */
export interface VerifiedJwt {
  header: JwtHeader
  payload: unknown
}

/**
 * Longest token looked at, in characters; longer ones are refused before anything is
 * decoded. Ours are ~300 (HS256) to ~900 (RS256 with a 4096-bit key); 8 KiB leaves room for
 * other issuers' claims and stays under Node's 16 KiB limit on all request headers.
 */
export const MAX_JWT_LENGTH = 8192

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const SEGMENT = /^[A-Za-z0-9_-]+$/

/**
 * Whether a segment is the one unpadded base64url spelling of its bytes: only the alphabet,
 * no length that leaves a lone character, and zero in the bits the last character carries
 * past the final byte. Node's decoder ignores those bits, so without this an ES256 or RS256
 * signature would have several spellings that all verify.
 */
function isCanonicalBase64url(segment: string): boolean {
  if (!SEGMENT.test(segment)) return false
  const rest = segment.length % 4
  if (rest === 0) return true
  if (rest === 1) return false
  const last = BASE64URL.indexOf(segment.charAt(segment.length - 1))
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0
}

/** A segment decoded as a JSON object, or `null` when it is not exactly one. */
function parseObject(segment: string): Record<string, unknown> | null {
  if (!isCanonicalBase64url(segment)) return null
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
  } catch {
    return null
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null
}

/** The three segments of a compact JWS, or `null` when the token is not shaped like one. */
function segmentsOf(token: unknown): [string, string, string] | null {
  if (typeof token !== 'string' || token.length > MAX_JWT_LENGTH) return null
  const parts = token.split('.')
  return parts.length === 3 ? (parts as [string, string, string]) : null
}

/**
 * The header of a compact JWS, or `null` when it is not one: read before verification only
 * to pick the key by `kid`.
 *
 * @example
 * ```ts
 * const kid = readHeader(token)?.kid
 * ```
 */
export function readHeader(token: string): JwtHeader | null {
  const segments = segmentsOf(token)
  return segments === null ? null : parseObject(segments[0])
}

/**
 * A signer of compact JWSs under one key, through jsonwebtoken, with `alg`, `typ` and, when
 * given, `kid` in the header.
 *
 * @throws TypeError saying what is wrong when the key does not fit the algorithm (HS256 needs
 *   a secret key, ES256 and RS256 a private key).
 * @example
 * ```ts
 * const sign = createJwtSigner(keys.signingKey, 'HS256', { typ: 'at+jwt' })
 * const token = sign({ sub: userId, exp })
 * ```
 */
export function createJwtSigner(
  key: KeyObject,
  algorithm: AccessTokenAlgorithm,
  { typ, kid }: SignHeader,
): (payload: object) => string {
  if (algorithm === 'HS256' ? key.type !== 'secret' : key.type !== 'private') {
    throw new TypeError(`${algorithm} needs a ${algorithm === 'HS256' ? 'secret' : 'private'} key`)
  }
  const options: jwt.SignOptions = {
    algorithm,
    header: { alg: algorithm, typ, ...(kid === undefined ? {} : { kid }) },
  }
  return (payload) => jwt.sign(payload, key, options)
}

/**
 * Verifies a compact JWS and its registered claims (`exp`, `nbf` with the tolerance, `iss`,
 * `aud`) under one key with jsonwebtoken, the algorithm pinned to exactly
 * `options.algorithm`, after the structural checks: at most {@link MAX_JWT_LENGTH}
 * characters, a header that is one JSON object, and a canonical base64url signature.
 *
 * @throws jsonwebtoken's `TokenExpiredError`, `NotBeforeError` or `JsonWebTokenError`.
 * @example
 * ```ts
 * const { header, payload } = verifyJwt(token, key, {
 *   algorithm: 'HS256', issuer, audience, clockToleranceSeconds: 5, nowSeconds,
 * })
 * ```
 */
export function verifyJwt(token: string, key: KeyObject, options: VerifyJwtOptions): VerifiedJwt {
  if (typeof token !== 'string' || token === '') {
    throw new jwt.JsonWebTokenError('jwt must be provided')
  }
  if (token.length > MAX_JWT_LENGTH) throw new jwt.JsonWebTokenError('jwt too long')
  const segments = segmentsOf(token)
  if (segments === null) throw new jwt.JsonWebTokenError('jwt malformed')
  const [head, body, signature] = segments
  if (parseObject(head) === null || !isCanonicalBase64url(body)) {
    throw new jwt.JsonWebTokenError('invalid token')
  }
  if (signature !== '' && !isCanonicalBase64url(signature)) {
    throw new jwt.JsonWebTokenError('invalid signature')
  }
  const { header, payload } = jwt.verify(token, key, {
    algorithms: [options.algorithm],
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockToleranceSeconds,
    clockTimestamp: options.nowSeconds,
    complete: true,
  })
  return { header, payload }
}
