import { createPublicKey } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { jwkThumbprint, publicJwkOf } from '../../src/access-tokens/jwk.js'
import { ALGORITHMS, keyPair, PRIVATE_MEMBERS } from './fixtures.js'

// RFC 7638 §3.1.
const RFC_KEY = {
  kty: 'RSA',
  n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
}

describe('jwkThumbprint', () => {
  it('matches the example of RFC 7638 §3.1, ignoring alg and kid', () => {
    expect(jwkThumbprint(RFC_KEY)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
  })

  it('is the same for a private key and its public half, and differs between keys', () => {
    for (const algorithm of ALGORITHMS) {
      const { privateKey, publicKey } = keyPair(algorithm)
      const thumbprint = jwkThumbprint(publicKey.export({ format: 'jwk' }))
      expect(jwkThumbprint(privateKey.export({ format: 'jwk' }))).toBe(thumbprint)
      expect(thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(jwkThumbprint(keyPair(algorithm).publicKey.export({ format: 'jwk' }))).not.toBe(
        thumbprint,
      )
    }
  })

  it('refuses a key type it does not know, or a missing member', () => {
    expect(() => jwkThumbprint({ kty: 'oct', k: 'abc' })).toThrow(TypeError)
    expect(() => jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'abc' })).toThrow(/"y"/)
  })
})

describe('publicJwkOf', () => {
  it.each(ALGORITHMS)(
    '%s: only public members, with kid, alg and use, and it imports back',
    (algorithm) => {
      const { publicKey } = keyPair(algorithm)
      const jwk = publicJwkOf(publicKey, 'k-1', algorithm)
      for (const member of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(member)
      expect(jwk).toMatchObject({ kid: 'k-1', alg: algorithm, use: 'sig' })
      const imported = createPublicKey({ key: { ...jwk }, format: 'jwk' })
      expect(imported.equals(publicKey)).toBe(true)
    },
  )

  it('refuses a private key', () => {
    expect(() => publicJwkOf(keyPair('ES256').privateKey, 'k', 'ES256')).toThrow(TypeError)
  })
})
