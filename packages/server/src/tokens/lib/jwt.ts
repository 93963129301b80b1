import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto'
import jwt from 'jsonwebtoken'
import type { AccessTokenAlgorithm } from '../algorithms.js'

// jsonwebtoken 9 signs and verifies HS256, ES256 and RS256 but knows no EdDSA; Ed25519 is
// done here with node:crypto, with the same checks in the same order and the same error
// classes, so callers map errors once. The claim checks are pinned for every algorithm by
// the same tests.

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

const SEGMENT = /^[A-Za-z0-9_-]*$/

function parseSegment(segment: string | undefined): unknown {
  if (segment === undefined || segment === '' || !SEGMENT.test(segment)) return undefined
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
}

/**
 * The header of a compact JWS, or `null` when it is not one: read before verification only
 * to pick the key by `kid`.
 */
export function readHeader(token: string): JwtHeader | null {
  if (typeof token !== 'string') return null
  const parts = token.split('.')
  if (parts.length !== 3) return null
  const header = parseSegment(parts[0])
  return typeof header === 'object' && header !== null && !Array.isArray(header)
    ? (header as JwtHeader)
    : null
}

/** Signs claims as a compact JWS with `alg`, `typ` and, when given, `kid` in the header. */
export function signJwt(
  payload: object,
  key: KeyObject,
  algorithm: AccessTokenAlgorithm,
  { typ, kid }: SignHeader,
): string {
  const header = { alg: algorithm, typ, ...(kid === undefined ? {} : { kid }) }
  if (algorithm !== 'EdDSA') return jwt.sign(payload, key, { algorithm, header })
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const input = `${encode(header)}.${encode(payload)}`
  return `${input}.${cryptoSign(null, Buffer.from(input), key).toString('base64url')}`
}

/**
 * Verifies a compact JWS and its registered claims (`exp`, `nbf` with the tolerance, `iss`,
 * `aud`) under one key, with the algorithm pinned.
 *
 * @throws jsonwebtoken's `TokenExpiredError`, `NotBeforeError` or `JsonWebTokenError`.
 */
export function verifyJwt(token: string, key: KeyObject, options: VerifyJwtOptions): VerifiedJwt {
  if (options.algorithm !== 'EdDSA') {
    return jwt.verify(token, key, {
      algorithms: [options.algorithm],
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: options.clockToleranceSeconds,
      clockTimestamp: options.nowSeconds,
      complete: true,
    })
  }
  if (typeof token !== 'string' || token === '')
    throw new jwt.JsonWebTokenError('jwt must be provided')
  const parts = token.split('.')
  if (parts.length !== 3) throw new jwt.JsonWebTokenError('jwt malformed')
  const [headerText = '', payloadText = '', signatureText = ''] = parts
  const header = readHeader(token)
  const payload = parseSegment(payloadText)
  if (header === null || typeof payload !== 'object' || payload === null) {
    throw new jwt.JsonWebTokenError('invalid token')
  }
  if (signatureText === '') throw new jwt.JsonWebTokenError('jwt signature is required')
  if (header.alg !== 'EdDSA') throw new jwt.JsonWebTokenError('invalid algorithm')
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') {
    throw new jwt.JsonWebTokenError('EdDSA needs an Ed25519 public key')
  }
  // An Ed25519 signature is 64 bytes: 86 base64url characters, no padding, nothing else.
  const valid =
    signatureText.length === 86 &&
    SEGMENT.test(signatureText) &&
    cryptoVerify(
      null,
      Buffer.from(`${headerText}.${payloadText}`),
      key,
      Buffer.from(signatureText, 'base64url'),
    )
  if (!valid) throw new jwt.JsonWebTokenError('invalid signature')
  checkClaims(payload as Record<string, unknown>, options)
  return { header, payload }
}

// The claim checks of jsonwebtoken 9's verify, for the algorithms it cannot verify.
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
