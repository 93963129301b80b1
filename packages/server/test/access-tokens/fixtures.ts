import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import type { AsymmetricAlgorithm } from '../../src/access-tokens/algorithms.js'
import type { PrivateJwk } from '../../src/access-tokens/signing-keys.js'
import { isAuthError } from '../../src/errors.js'

/** A fresh key pair for an algorithm; RSA at the 2048-bit minimum, to keep tests quick. */
export function keyPair(algorithm: AsymmetricAlgorithm): {
  privateKey: KeyObject
  publicKey: KeyObject
} {
  switch (algorithm) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' })
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 })
  }
}

/** A private JWK of a fresh key, with the members given. */
export function privateJwk(
  algorithm: AsymmetricAlgorithm,
  members: Partial<PrivateJwk> = {},
): PrivateJwk {
  return { ...keyPair(algorithm).privateKey.export({ format: 'jwk' }), ...members }
}

/** Every asymmetric algorithm, for `describe.each`. */
export const ALGORITHMS: readonly AsymmetricAlgorithm[] = ['ES256', 'RS256']

/** Members a public JWK must never carry (RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2). */
export const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/** A JSON value as a base64url JWT segment. */
export const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** An HS256 token over any header and payload, signed outside the code under test. */
export function hs256Sign(header: object, payload: object, secret: string | Buffer): string {
  const body = `${b64(header)}.${b64(payload)}`
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`
}

/** The `AuthError` code `run` throws, or `accepted` when it returns. */
export function codeOf(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    if (isAuthError(error)) return error.code
    throw error
  }
  return 'accepted'
}

/**
 * Signs any header and payload with node:crypto alone, outside the code under test: for
 * hand-made tokens jsonwebtoken would refuse to sign, and as an independent JWS signer.
 */
export function rawSign(
  header: object,
  payload: object,
  key: KeyObject,
  algorithm: AsymmetricAlgorithm,
): string {
  const input = `${b64(header)}.${b64(payload)}`
  const signature = sign('sha256', Buffer.from(input), {
    key,
    ...(algorithm === 'ES256' ? { dsaEncoding: 'ieee-p1363' as const } : {}),
  })
  return `${input}.${signature.toString('base64url')}`
}
