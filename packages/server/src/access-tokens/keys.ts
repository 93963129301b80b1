import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto'
import type { PublicJwk } from '@refresh-kit/shared'
import {
  type AccessTokenAlgorithm,
  type AsymmetricAlgorithm,
  isAccessTokenAlgorithm,
} from './algorithms.js'
import { createSigningKeySet, type PrivateJwk } from './signing-keys.js'

/** The keys of access tokens: one to sign with, and what verification accepts. */
export interface AccessTokenKeys {
  /** The `alg` written into new tokens. */
  readonly algorithm: AccessTokenAlgorithm
  /** The pinned allow-list of `alg` values verification accepts: exactly `[algorithm]`. */
  readonly algorithms: readonly AccessTokenAlgorithm[]
  /** The HS256 secret, or the private key of the newest active asymmetric key. */
  readonly signingKey: KeyObject
  /** The HS256 secret, or the public half of `signingKey`. */
  readonly verificationKey: KeyObject
  /** The `kid` header of new tokens; `undefined` with HS256. */
  readonly kid: string | undefined
  /**
   * Every asymmetric public key verification accepts, by `kid`: the signing key, older keys
   * until they are removed, and keys published ahead with `status: "next"`. A token's `kid`
   * must be one of them. Absent: `verificationKey` alone, under `kid`.
   */
  readonly verificationKeys?: ReadonlyMap<string, KeyObject>
  /** What `GET /.well-known/jwks.json` publishes; empty for a symmetric key. */
  readonly publicJwks: readonly PublicJwk[]
}

/** Every key the token service needs, built once at start. */
export interface TokenKeys {
  readonly access: AccessTokenKeys
  /** The HMAC-SHA256 key that authenticates refresh tokens. */
  readonly refreshMacKey: KeyObject
}

/** The refresh-token secret, common to both kinds of {@link TokenKeysOptions}. */
interface RefreshSecretOption {
  /**
   * The HMAC secret of refresh tokens, at least 32 bytes.
   * @default derived from `jwtSecret` with HKDF-SHA256
   */
  refreshTokenSecret?: string | Uint8Array
}

/** HS256: one shared secret signs and verifies access tokens. */
export interface SymmetricKeysOptions extends RefreshSecretOption {
  /** @default 'HS256' */
  algorithm?: 'HS256'
  /** The HS256 secret of access tokens, at least 32 bytes. */
  jwtSecret: string | Uint8Array
  signingKeys?: never
}

/** ES256 or RS256: private keys sign, their public halves are published. */
export interface AsymmetricKeysOptions extends RefreshSecretOption {
  algorithm: AsymmetricAlgorithm
  /**
   * The private keys, oldest first (see `createSigningKeySet`): the last one without
   * `status: "next"` signs, every one verifies.
   */
  signingKeys: readonly PrivateJwk[]
  /** Only the source `refreshTokenSecret` is derived from when that is not given. */
  jwtSecret?: string | Uint8Array
}

/** Options of {@link createTokenKeys}: a symmetric or an asymmetric key setup. */
export type TokenKeysOptions = SymmetricKeysOptions | AsymmetricKeysOptions

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
 * a string secret on every call. With HS256 one secret signs and verifies; with ES256
 * or RS256 the newest active private key signs (its `kid` goes into every token), every key
 * of the set verifies, and the public halves are published as a JWKS.
 *
 * @throws TypeError naming the option when a secret is missing or shorter than 32 bytes,
 *   or a key does not fit the algorithm.
 * @example
 * ```ts
 * const keys = createTokenKeys({ jwtSecret: process.env.JWT_SECRET })
 * const rotating = createTokenKeys({ algorithm: 'ES256', signingKeys: jwks.keys, refreshTokenSecret })
 * ```
 */
export function createTokenKeys(options: TokenKeysOptions): TokenKeys {
  const algorithm = options.algorithm ?? 'HS256'
  if (!isAccessTokenAlgorithm(algorithm)) {
    throw new TypeError('createTokenKeys: options.algorithm must be HS256, ES256 or RS256')
  }
  const jwtSecret =
    options.jwtSecret === undefined ? undefined : secretBytes('jwtSecret', options.jwtSecret)
  let refreshSecret: Buffer
  if (options.refreshTokenSecret !== undefined) {
    refreshSecret = secretBytes('refreshTokenSecret', options.refreshTokenSecret)
  } else if (jwtSecret !== undefined) {
    // A distinct key per purpose: a refresh-token MAC must never double as a JWT signature.
    refreshSecret = Buffer.from(
      hkdfSync('sha256', jwtSecret, 'refresh-kit', 'refresh-kit refresh-token mac v1', 32),
    )
  } else {
    throw new TypeError(
      algorithm === 'HS256'
        ? 'createTokenKeys: options.jwtSecret is required'
        : 'createTokenKeys: options.refreshTokenSecret (or options.jwtSecret to derive it) is required',
    )
  }
  const refreshMacKey = createSecretKey(refreshSecret)
  if (algorithm === 'HS256') {
    if (jwtSecret === undefined)
      throw new TypeError('createTokenKeys: options.jwtSecret is required')
    if (options.signingKeys !== undefined) {
      throw new TypeError(
        'createTokenKeys: options.signingKeys needs an asymmetric algorithm, not HS256',
      )
    }
    const accessKey = createSecretKey(jwtSecret)
    return {
      access: {
        algorithm,
        algorithms: [algorithm],
        signingKey: accessKey,
        verificationKey: accessKey,
        kid: undefined,
        publicJwks: [],
      },
      refreshMacKey,
    }
  }
  return { access: asymmetricKeys(algorithm, options.signingKeys), refreshMacKey }
}

function asymmetricKeys(
  algorithm: AsymmetricAlgorithm,
  signingKeys: readonly PrivateJwk[] | undefined,
): AccessTokenKeys {
  if (signingKeys === undefined) {
    throw new TypeError(`createTokenKeys: options.signingKeys is required with ${algorithm}`)
  }
  let set: ReturnType<typeof createSigningKeySet>
  try {
    set = createSigningKeySet(algorithm, signingKeys)
  } catch (error) {
    throw new TypeError(`createTokenKeys: options.signingKeys: ${(error as Error).message}`)
  }
  return {
    algorithm,
    algorithms: [algorithm],
    signingKey: set.signing.privateKey,
    verificationKey: set.signing.publicKey,
    kid: set.signing.kid,
    verificationKeys: new Map(set.keys.map((key) => [key.kid, key.publicKey])),
    publicJwks: set.keys.map((key) => key.publicJwk),
  }
}
