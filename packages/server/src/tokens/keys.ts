import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto'
import type { PublicJwk } from '@refresh-kit/shared'

/**
 * Signature algorithms of access tokens. Only HS256 is configured today; an asymmetric
 * algorithm (ES256, EdDSA, RS256) adds its name here, a key pair in
 * {@link AccessTokenKeys}, and its public half in `publicJwks`, and nothing else changes.
 */
export type AccessTokenAlgorithm = 'HS256'

/** The keys of access tokens: one to sign with, and what verification accepts. */
export interface AccessTokenKeys {
  /** The `alg` written into new tokens. */
  readonly algorithm: AccessTokenAlgorithm
  /** The pinned allow-list of `alg` values verification accepts. */
  readonly algorithms: readonly AccessTokenAlgorithm[]
  readonly signingKey: KeyObject
  readonly verificationKey: KeyObject
  /** The `kid` header, once keys rotate. */
  readonly kid: string | undefined
  /** What `GET /.well-known/jwks.json` publishes; empty for a symmetric key. */
  readonly publicJwks: readonly PublicJwk[]
}

/** Every key the token service needs, built once at start. */
export interface TokenKeys {
  readonly access: AccessTokenKeys
  /** The HMAC-SHA256 key that authenticates refresh tokens. */
  readonly refreshMacKey: KeyObject
}

/** Options of {@link createTokenKeys}. */
export interface TokenKeysOptions {
  /** The HS256 secret of access tokens, at least 32 bytes. Required. */
  jwtSecret?: string | Uint8Array
  /**
   * The HMAC secret of refresh tokens, at least 32 bytes.
   * @default derived from `jwtSecret` with HKDF-SHA256
   */
  refreshTokenSecret?: string | Uint8Array
}

/**
 * Shortest accepted secret, in bytes (RFC 7518 §3.2: at least the hash size).
 *
 * @example
 * ```ts
 * if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) throw new Error('JWT_SECRET is too short')
 * ```
 */
export const MIN_SECRET_BYTES = 32

function secretBytes(option: string, value: string | Uint8Array): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value)
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new TypeError(
      `createTokenKeys: options.${option} must be at least ${MIN_SECRET_BYTES} bytes, got ${bytes.length}`,
    )
  }
  return bytes
}

/**
 * Builds the token keys once, as `KeyObject`s: jsonwebtoken is many times slower when handed
 * a string secret on every call.
 *
 * @throws TypeError when a secret is missing or shorter than 32 bytes.
 * @example
 * ```ts
 * const keys = createTokenKeys({ jwtSecret: process.env.JWT_SECRET })
 * ```
 */
export function createTokenKeys(options: TokenKeysOptions): TokenKeys {
  if (options.jwtSecret === undefined) {
    throw new TypeError('createTokenKeys: options.jwtSecret is required')
  }
  const jwtSecret = secretBytes('jwtSecret', options.jwtSecret)
  const refreshSecret =
    options.refreshTokenSecret === undefined
      ? // A distinct key per purpose: a refresh-token MAC must never double as a JWT signature.
        Buffer.from(
          hkdfSync('sha256', jwtSecret, 'refresh-kit', 'refresh-kit refresh-token mac v1', 32),
        )
      : secretBytes('refreshTokenSecret', options.refreshTokenSecret)
  const accessKey = createSecretKey(jwtSecret)
  return {
    access: {
      algorithm: 'HS256',
      algorithms: ['HS256'],
      signingKey: accessKey,
      verificationKey: accessKey,
      kid: undefined,
      publicJwks: [],
    },
    refreshMacKey: createSecretKey(refreshSecret),
  }
}
