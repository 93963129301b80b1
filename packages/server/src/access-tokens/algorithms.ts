import type { KeyObject } from 'node:crypto'

/**
 * Signature algorithms of access tokens: `HS256` with a shared secret, or one of the
 * asymmetric ones with a private key on the token server and its public half published at
 * `GET /.well-known/jwks.json`. Exactly what jsonwebtoken, the one JWT engine, signs and
 * verifies with KeyObjects; it has no EdDSA.
 */
export type AccessTokenAlgorithm = 'HS256' | 'ES256' | 'RS256'

/** The asymmetric access-token algorithms. */
export type AsymmetricAlgorithm = Exclude<AccessTokenAlgorithm, 'HS256'>

/**
 * Every access-token algorithm, `HS256` first (the default).
 *
 * @example
 * ```ts
 * ACCESS_TOKEN_ALGORITHMS.includes(process.env.JWT_ALGORITHM as AccessTokenAlgorithm)
 * ```
 */
export const ACCESS_TOKEN_ALGORITHMS: readonly AccessTokenAlgorithm[] = ['HS256', 'ES256', 'RS256']

/**
 * The asymmetric algorithms, the default allow-list of a JWKS verifier.
 *
 * @example
 * ```ts
 * createJwksVerifier({ jwksUri, algorithms: [...ASYMMETRIC_ALGORITHMS] })
 * ```
 */
export const ASYMMETRIC_ALGORITHMS: readonly AsymmetricAlgorithm[] = ['ES256', 'RS256']

/**
 * Shortest RSA modulus accepted for RS256, in bits (NIST SP 800-57: 2048 until 2030).
 *
 * @example
 * ```ts
 * generateKeyPairSync('rsa', { modulusLength: Math.max(3072, MIN_RSA_BITS) })
 * ```
 */
export const MIN_RSA_BITS = 2048

/** Whether a value names an access-token algorithm. */
export function isAccessTokenAlgorithm(value: unknown): value is AccessTokenAlgorithm {
  return typeof value === 'string' && (ACCESS_TOKEN_ALGORITHMS as readonly string[]).includes(value)
}

/** Whether a value names an asymmetric access-token algorithm. */
export function isAsymmetricAlgorithm(value: unknown): value is AsymmetricAlgorithm {
  return typeof value === 'string' && (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(value)
}

/**
 * What is wrong with using a key for an algorithm, or `null` when it fits: ES256 needs a
 * P-256 EC key, RS256 an RSA key of at least 2048 bits, HS256 a secret.
 * Checked once when keys are loaded, so a mismatch stops the start instead of failing every
 * signature.
 *
 * @example
 * ```ts
 * keyProblem('ES256', rsaPrivateKey) // 'is an rsa key; ES256 needs an EC P-256 key'
 * ```
 */
export function keyProblem(algorithm: AccessTokenAlgorithm, key: KeyObject): string | null {
  if (algorithm === 'HS256') return key.type === 'secret' ? null : 'HS256 needs a secret key'
  if (key.type === 'secret') return `is a secret key; ${algorithm} needs an asymmetric key`
  const type = key.asymmetricKeyType ?? 'unknown'
  switch (algorithm) {
    case 'ES256':
      return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
        ? null
        : `is ${describe(key)}; ES256 needs an EC P-256 key`
    case 'RS256': {
      if (type !== 'rsa') return `is ${describe(key)}; RS256 needs an RSA key`
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
      return bits >= MIN_RSA_BITS
        ? null
        : `is a ${bits}-bit RSA key; RS256 needs at least ${MIN_RSA_BITS} bits`
    }
  }
}

function describe(key: KeyObject): string {
  const type = key.asymmetricKeyType ?? 'unknown'
  const curve = key.asymmetricKeyDetails?.namedCurve
  return curve === undefined ? `an ${type} key` : `an ${type} ${curve} key`
}
