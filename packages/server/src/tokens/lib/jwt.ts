import {
  createHmac,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
  timingSafeEqual,
} from 'node:crypto'
import jwt from 'jsonwebtoken'
import type { AccessTokenAlgorithm } from '../algorithms.js'

// HS256 and EdDSA are signed and verified here with node:crypto; ES256 and RS256 still go
// through jsonwebtoken 9 for the signature and claims, after the same structural checks.
// Every path throws jsonwebtoken's error classes, with its claim checks in its order (nbf,
// exp, aud, iss, all after the signature), so callers map errors once. jsonwebtoken decodes
// a token twice and builds its HMAC from scratch on every call: ~17 µs to sign and ~11 µs
// to verify an HS256 token, against ~5 µs and ~6 µs here, on the path of every request.

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
 * past the final byte. Node's decoder ignores those bits, so without this one signature
 * would have several spellings that all verify.
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

const encodeJson = (value: object): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url')

/**
 * A signer of compact JWSs under one key, with `alg`, `typ` and, when given, `kid` in the
 * header. The header segment is encoded once, here; each call encodes the payload and signs.
 *
 * @throws TypeError saying what is wrong when the key does not fit the algorithm (HS256 needs a secret key,
 *   EdDSA an Ed25519 private key).
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
  const header = { alg: algorithm, typ, ...(kid === undefined ? {} : { kid }) }
  switch (algorithm) {
    case 'HS256': {
      if (key.type !== 'secret') throw new TypeError('HS256 needs a secret key')
      const head = `${encodeJson(header)}.`
      return (payload) => {
        const input = head + encodeJson(payload)
        return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
      }
    }
    case 'EdDSA': {
      if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
        throw new TypeError('EdDSA needs an Ed25519 private key')
      }
      const head = `${encodeJson(header)}.`
      return (payload) => {
        const input = head + encodeJson(payload)
        return `${input}.${cryptoSign(null, Buffer.from(input), key).toString('base64url')}`
      }
    }
    case 'ES256':
    case 'RS256':
      return (payload) => jwt.sign(payload, key, { algorithm, header })
  }
}

/** HMAC-SHA256 signatures are 32 bytes: 43 base64url characters. */
const HS256_SIGNATURE_LENGTH = 43
/** Ed25519 signatures are 64 bytes: 86 base64url characters. */
const ED25519_SIGNATURE_LENGTH = 86

function checkSignature(
  algorithm: 'HS256' | 'EdDSA',
  input: string,
  signature: string,
  key: KeyObject,
): void {
  let valid: boolean
  if (algorithm === 'HS256') {
    if (key.type !== 'secret') throw new jwt.JsonWebTokenError('HS256 needs a secret key')
    // Compared in constant time, and only once the length is right: timingSafeEqual throws
    // on buffers of different lengths. The signature is canonical base64url (checked by the
    // caller), so its bytes have exactly one spelling.
    valid =
      signature.length === HS256_SIGNATURE_LENGTH &&
      timingSafeEqual(
        createHmac('sha256', key).update(input).digest(),
        Buffer.from(signature, 'base64url'),
      )
  } else {
    if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') {
      throw new jwt.JsonWebTokenError('EdDSA needs an Ed25519 public key')
    }
    valid =
      signature.length === ED25519_SIGNATURE_LENGTH &&
      cryptoVerify(null, Buffer.from(input), key, Buffer.from(signature, 'base64url'))
  }
  if (!valid) throw new jwt.JsonWebTokenError('invalid signature')
}

/**
 * Verifies a compact JWS and its registered claims (`exp`, `nbf` with the tolerance, `iss`,
 * `aud`) under one key, with the algorithm pinned: the header must be a JSON object whose
 * `alg` is exactly `options.algorithm`, every segment canonical base64url, the token at most
 * {@link MAX_JWT_LENGTH} characters.
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
  const [headerText, payloadText, signatureText] = segments
  const header = parseObject(headerText)
  const payload = parseObject(payloadText)
  if (header === null || payload === null) throw new jwt.JsonWebTokenError('invalid token')
  if (signatureText === '') throw new jwt.JsonWebTokenError('jwt signature is required')
  if (!isCanonicalBase64url(signatureText)) throw new jwt.JsonWebTokenError('invalid signature')
  const algorithm = options.algorithm
  if (header.alg !== algorithm) throw new jwt.JsonWebTokenError('invalid algorithm')
  if (algorithm === 'ES256' || algorithm === 'RS256') {
    return jwt.verify(token, key, {
      algorithms: [algorithm],
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: options.clockToleranceSeconds,
      clockTimestamp: options.nowSeconds,
      complete: true,
    })
  }
  checkSignature(algorithm, `${headerText}.${payloadText}`, signatureText, key)
  checkClaims(payload, options)
  return { header, payload }
}

// The claim checks of jsonwebtoken 9's verify, in its order, for the algorithms verified here.
function checkClaims(payload: Record<string, unknown>, options: VerifyJwtOptions): void {
  const now = options.nowSeconds
  const tolerance = options.clockToleranceSeconds
  if (payload.nbf !== undefined) {
    if (typeof payload.nbf !== 'number') throw new jwt.JsonWebTokenError('invalid nbf value')
    if (payload.nbf > now + tolerance) {
      throw new jwt.NotBeforeError('jwt not active', new Date(payload.nbf * 1000))
    }
  }
  if (payload.exp !== undefined) {
    if (typeof payload.exp !== 'number') throw new jwt.JsonWebTokenError('invalid exp value')
    if (now >= payload.exp + tolerance) {
      throw new jwt.TokenExpiredError('jwt expired', new Date(payload.exp * 1000))
    }
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
  if (!audiences.includes(options.audience)) {
    throw new jwt.JsonWebTokenError(`jwt audience invalid. expected: ${options.audience}`)
  }
  if (payload.iss !== options.issuer) {
    throw new jwt.JsonWebTokenError(`jwt issuer invalid. expected: ${options.issuer}`)
  }
}
