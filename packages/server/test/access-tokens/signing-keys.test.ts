import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { jwkThumbprint } from '../../src/access-tokens/jwk.js'
import { createTokenKeys } from '../../src/access-tokens/keys.js'
import { createSigningKeySet, privateJwkOf } from '../../src/access-tokens/signing-keys.js'
import { JWT_SECRET } from '../support/harness.js'
import { ALGORITHMS, keyPair, PRIVATE_MEMBERS, privateJwk } from './fixtures.js'

describe('createSigningKeySet', () => {
  it('signs with the newest active key: the last one without status "next"', () => {
    const old = privateJwk('ES256', { kid: 'old' })
    const current = privateJwk('ES256', { kid: 'current' })
    const next = privateJwk('ES256', { kid: 'next', status: 'next' })
    const set = createSigningKeySet('ES256', [old, current, next])
    expect(set.signing.kid).toBe('current')
    expect(set.keys.map((key) => [key.kid, key.status])).toEqual([
      ['old', 'active'],
      ['current', 'active'],
      ['next', 'next'],
    ])
    // Promoting the next key is removing its status: then it is the newest active one.
    const { status: _status, ...promoted } = next
    expect(createSigningKeySet('ES256', [old, current, promoted]).signing.kid).toBe('next')
  })

  it.each(ALGORITHMS)('%s: a key without kid gets its RFC 7638 thumbprint', (algorithm) => {
    const jwk = privateJwk(algorithm)
    const set = createSigningKeySet(algorithm, [jwk])
    expect(set.signing.kid).toBe(jwkThumbprint(jwk))
    for (const member of PRIVATE_MEMBERS) expect(set.signing.publicJwk).not.toHaveProperty(member)
    expect(set.signing.publicKey.type).toBe('public')
    expect(set.signing.privateKey.type).toBe('private')
  })

  it('names the key and the problem when a key does not fit', () => {
    const es = privateJwk('ES256', { kid: 'es' })
    const message = (run: () => unknown) => {
      try {
        run()
      } catch (error) {
        expect(error).toBeInstanceOf(TypeError)
        return (error as Error).message
      }
      throw new Error('accepted')
    }
    // EdDSA is not an algorithm of the engine: an Ed25519 key fits none.
    const ed = { ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'ed' }
    expect(message(() => createSigningKeySet('ES256', [ed]))).toBe(
      'key 1 of 1 (kid "ed") is an ed25519 key; ES256 needs an EC P-256 key',
    )
    expect(message(() => createSigningKeySet('RS256', [es]))).toMatch(
      /^key 1 of 1 \(kid "es"\) is an ec prime256v1 key; RS256 needs an RSA key$/,
    )
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey
    expect(message(() => createSigningKeySet('ES256', [privateJwkOf(p384)]))).toMatch(
      /is an ec secp384r1 key; ES256 needs an EC P-256 key/,
    )
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey
    expect(message(() => createSigningKeySet('RS256', [privateJwkOf(weak)]))).toMatch(
      /is a 1024-bit RSA key; RS256 needs at least 2048 bits/,
    )
    expect(message(() => createSigningKeySet('ES256', [{ ...es, alg: 'ES384' }]))).toMatch(
      /has "alg": "ES384", but the algorithm is ES256/,
    )
    expect(message(() => createSigningKeySet('ES256', [{ ...es, use: 'enc' }]))).toMatch(/"use"/)
    expect(message(() => createSigningKeySet('ES256', [{ ...es, status: 'retired' }]))).toMatch(
      /has "status": "retired"; use "next" or leave it out/,
    )
    const { d: _d, ...publicOnly } = es
    expect(message(() => createSigningKeySet('ES256', [publicOnly]))).toMatch(
      /is not a private key/,
    )
    expect(
      message(() => createSigningKeySet('ES256', [es, privateJwk('ES256', { kid: 'es' })])),
    ).toMatch(/^key 2 of 2 \(kid "es"\) repeats kid "es"/)
    expect(message(() => createSigningKeySet('ES256', [{ ...es, status: 'next' }]))).toMatch(
      /every key is marked "status": "next"/,
    )
    expect(message(() => createSigningKeySet('ES256', []))).toMatch(/at least one private key/)
    expect(message(() => createSigningKeySet('ES256', [{ ...es, kid: 'has space' }]))).toMatch(
      /"kid"/,
    )
  })

  it('reads a PEM private key and refuses a public one', () => {
    const { privateKey, publicKey } = keyPair('ES256')
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    const set = createSigningKeySet('ES256', [privateJwkOf(pem)])
    expect(set.signing.publicKey.equals(publicKey)).toBe(true)
    const publicPem = publicKey.export({ format: 'pem', type: 'spki' }).toString()
    expect(() => privateJwkOf(publicPem)).toThrow(TypeError)
    expect(() => privateJwkOf('not a key')).toThrow(/is not a PEM private key/)
  })
})

describe('createTokenKeys with an asymmetric algorithm', () => {
  it('builds the signing key, every verification key by kid, and the JWKS', () => {
    const keys = createTokenKeys({
      algorithm: 'ES256',
      signingKeys: [privateJwk('ES256', { kid: 'a' }), privateJwk('ES256', { kid: 'b' })],
      refreshTokenSecret: 'r'.repeat(32),
    })
    expect(keys.access.algorithm).toBe('ES256')
    expect(keys.access.algorithms).toEqual(['ES256'])
    expect(keys.access.kid).toBe('b')
    expect([...(keys.access.verificationKeys?.keys() ?? [])]).toEqual(['a', 'b'])
    expect(keys.access.publicJwks.map((jwk) => jwk.kid)).toEqual(['a', 'b'])
  })

  it('refuses bad options with a TypeError naming them', () => {
    const signingKeys = [privateJwk('ES256')]
    expect(() => createTokenKeys({ algorithm: 'ES256', signingKeys })).toThrow(
      /options.refreshTokenSecret \(or options.jwtSecret to derive it\) is required/,
    )
    // @ts-expect-error: an asymmetric algorithm needs its keys
    expect(() => createTokenKeys({ algorithm: 'ES256', jwtSecret: JWT_SECRET })).toThrow(
      /options.signingKeys is required with ES256/,
    )
    // @ts-expect-error: keys without an asymmetric algorithm
    expect(() => createTokenKeys({ jwtSecret: JWT_SECRET, signingKeys })).toThrow(
      /options.signingKeys needs an asymmetric algorithm/,
    )
    expect(() =>
      createTokenKeys({ algorithm: 'RS256', jwtSecret: JWT_SECRET, signingKeys }),
    ).toThrow(/^createTokenKeys: options.signingKeys: key 1 of 1 .* RS256 needs an RSA key$/)
    expect(() =>
      createTokenKeys({ algorithm: 'EdDSA' as 'RS256', jwtSecret: JWT_SECRET, signingKeys }),
    ).toThrow(/options.algorithm/)
  })
})
