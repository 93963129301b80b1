import { createHash, type KeyObject } from 'node:crypto'
import type { PublicJwk } from '@refresh-kit/shared'
import type { AsymmetricAlgorithm } from './algorithms.js'

// RFC 7638 §3.2: the required members of each key type, in lexicographic order.
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
}

/**
 * The RFC 7638 JWK thumbprint (SHA-256, base64url) of a public or private JWK: the `kid` a
 * key gets when it does not bring its own. Private members never enter the hash, so a
 * private key and its public half have the same thumbprint.
 *
 * @throws TypeError for a key type other than EC, OKP or RSA, or a missing member.
 * @example
 * ```ts
 * jwkThumbprint(publicKey.export({ format: 'jwk' })) // 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
 * ```
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string {
  const members = typeof jwk.kty === 'string' ? THUMBPRINT_MEMBERS[jwk.kty] : undefined
  if (members === undefined) throw new TypeError('a JWK thumbprint needs kty EC, OKP or RSA')
  const canonical: Record<string, string> = {}
  for (const name of members) {
    const value = jwk[name]
    if (typeof value !== 'string' || value === '') {
      throw new TypeError(`a ${String(jwk.kty)} JWK needs a "${name}" member`)
    }
    canonical[name] = value
  }
  // JSON.stringify keeps insertion order, which is the lexicographic order above.
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url')
}

/**
 * The public JWK `GET /.well-known/jwks.json` publishes for a key: built from the public
 * `KeyObject` and copied member by member, so no private member (`d`, `p`, `q`, `dp`, `dq`,
 * `qi`) can ever slip through.
 *
 * @example
 * ```ts
 * publicJwkOf(publicKey, 'key-2026-01', 'ES256') // { kty: 'EC', crv: 'P-256', x, y, kid, alg, use: 'sig' }
 * ```
 */
export function publicJwkOf(
  publicKey: KeyObject,
  kid: string,
  algorithm: AsymmetricAlgorithm,
): PublicJwk {
  if (publicKey.type !== 'public') throw new TypeError('publicJwkOf needs a public KeyObject')
  const jwk = publicKey.export({ format: 'jwk' })
  const base = { kid, alg: algorithm, use: 'sig' } as const
  switch (jwk.kty) {
    case 'EC':
      return { kty: 'EC', crv: req(jwk.crv), x: req(jwk.x), y: req(jwk.y), ...base }
    case 'OKP':
      return { kty: 'OKP', crv: req(jwk.crv), x: req(jwk.x), ...base }
    case 'RSA':
      return { kty: 'RSA', n: req(jwk.n), e: req(jwk.e), ...base }
    default:
      throw new TypeError(`publicJwkOf: unsupported key type ${String(jwk.kty)}`)
  }
}

function req(value: string | undefined): string {
  if (value === undefined) throw new TypeError('publicJwkOf: the key lacks a public member')
  return value
}
