import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import type { PublicJwk } from '@refresh-kit/shared'
import { type AsymmetricAlgorithm, keyProblem } from './algorithms.js'
import { jwkThumbprint, publicJwkOf } from './jwk.js'

/**
 * A private key as a JWK (RFC 7517), the form of each entry of a key set file
 * (`JWT_KEYS_FILE`: `{ "keys": [ ... ] }`), plus one member of refresh-kit's own:
 * `status: "next"` publishes and verifies the key without signing with it yet.
 */
export interface PrivateJwk {
  kty?: string
  /** @default the RFC 7638 thumbprint of the key */
  kid?: string
  /** When present, must be the configured algorithm. */
  alg?: string
  /** When present, must be `"sig"`. */
  use?: string
  /**
   * `"next"`: published in the JWKS and accepted by verification, never used to sign, so a
   * new key can reach every replica (and every JWKS cache) before any token carries it.
   * @default 'active'
   */
  status?: string
  [member: string]: unknown
}

/** Where a key stands in its rotation. */
export type SigningKeyStatus = 'active' | 'next'

/** One key of a {@link SigningKeySet}, built once. */
export interface SigningKey {
  readonly kid: string
  readonly status: SigningKeyStatus
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  /** Public members only, with `kid`, `alg` and `use: "sig"`. */
  readonly publicJwk: PublicJwk
}

/** The asymmetric keys of access tokens: one signs, every one verifies. */
export interface SigningKeySet {
  readonly algorithm: AsymmetricAlgorithm
  /** The newest active key: the last one of the set without `status: "next"`. */
  readonly signing: SigningKey
  /** Every key, in the order given: oldest first. */
  readonly keys: readonly SigningKey[]
}

const STATUSES: readonly SigningKeyStatus[] = ['active', 'next']

/**
 * Builds a key set from private JWKs, listed oldest first. The key that signs is the
 * *newest active* one: the last key without `status: "next"`. Every key verifies until it is
 * removed from the set. Each key is checked against the algorithm (ES256: EC P-256, RS256:
 * RSA of 2048 bits or more), its `alg` and `use` members when present, and
 * `kid`s must be unique.
 *
 * @throws TypeError naming the key (position and `kid`) and what is wrong with it.
 * @example
 * ```ts
 * const set = createSigningKeySet('ES256', JSON.parse(readFileSync(file, 'utf8')).keys)
 * set.signing.kid // the kid new tokens carry
 * ```
 */
export function createSigningKeySet(
  algorithm: AsymmetricAlgorithm,
  jwks: readonly PrivateJwk[],
): SigningKeySet {
  if (!Array.isArray(jwks) || jwks.length === 0) {
    throw new TypeError('the key set must hold at least one private key')
  }
  const keys: SigningKey[] = []
  const seen = new Set<string>()
  jwks.forEach((jwk, index) => {
    const name = () => {
      const kid = typeof jwk?.kid === 'string' ? ` (kid ${JSON.stringify(jwk.kid)})` : ''
      return `key ${index + 1} of ${jwks.length}${kid}`
    }
    const fail = (problem: string): never => {
      throw new TypeError(`${name()} ${problem}`)
    }
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) fail('is not a JWK object')
    if (
      jwk.kid !== undefined &&
      (typeof jwk.kid !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(jwk.kid))
    ) {
      fail('has a "kid" that is not 1 to 128 printable characters without spaces')
    }
    if (jwk.alg !== undefined && jwk.alg !== algorithm) {
      fail(`has "alg": ${JSON.stringify(jwk.alg)}, but the algorithm is ${algorithm}`)
    }
    if (jwk.use !== undefined && jwk.use !== 'sig') fail('has a "use" other than "sig"')
    const status = jwk.status ?? 'active'
    if (!(STATUSES as readonly unknown[]).includes(status)) {
      fail(`has "status": ${JSON.stringify(jwk.status)}; use "next" or leave it out`)
    }
    if (typeof jwk.d !== 'string') fail('is not a private key (no "d" member)')
    let privateKey: KeyObject | undefined
    try {
      privateKey = createPrivateKey({ key: privateMembers(jwk), format: 'jwk' })
    } catch (error) {
      fail(`is not a valid private JWK: ${(error as Error).message}`)
    }
    if (privateKey === undefined) return
    const problem = keyProblem(algorithm, privateKey)
    if (problem !== null) fail(problem)
    const publicKey = createPublicKey(privateKey)
    const kid = jwk.kid ?? jwkThumbprint(publicKey.export({ format: 'jwk' }))
    if (seen.has(kid)) fail(`repeats kid ${JSON.stringify(kid)}; each key needs its own`)
    seen.add(kid)
    keys.push({
      kid,
      status: status as SigningKeyStatus,
      privateKey,
      publicKey,
      publicJwk: publicJwkOf(publicKey, kid, algorithm),
    })
  })
  const signing = keys.findLast((key) => key.status === 'active')
  if (signing === undefined) {
    throw new TypeError('every key is marked "status": "next"; at least one must be able to sign')
  }
  return { algorithm, signing, keys }
}

/**
 * A private key (PEM text or a `KeyObject`) as a private JWK, for a key set of one
 * (`JWT_PRIVATE_KEY_FILE`).
 *
 * @throws TypeError when the input is not a private key.
 * @example
 * ```ts
 * createSigningKeySet('ES256', [privateJwkOf(readFileSync('es256.pem', 'utf8'))])
 * ```
 */
export function privateJwkOf(key: string | KeyObject): PrivateJwk {
  let privateKey: KeyObject
  try {
    privateKey = typeof key === 'string' ? createPrivateKey(key) : key
  } catch (error) {
    throw new TypeError(`is not a PEM private key: ${(error as Error).message}`)
  }
  if (privateKey.type !== 'private') throw new TypeError('is not a private key')
  return privateKey.export({ format: 'jwk' }) as PrivateJwk
}

// node:crypto refuses unknown members on some versions; hand it only what a JWK defines.
function privateMembers(jwk: PrivateJwk): Record<string, string> {
  const members: Record<string, string> = {}
  for (const name of ['kty', 'crv', 'x', 'y', 'd', 'n', 'e', 'p', 'q', 'dp', 'dq', 'qi']) {
    const value = jwk[name]
    if (typeof value === 'string') members[name] = value
  }
  return members
}
