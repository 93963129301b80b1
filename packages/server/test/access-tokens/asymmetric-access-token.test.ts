import type { KeyObject } from 'node:crypto'
import jwt from 'jsonwebtoken'
import { describe, expect, it } from 'vitest'
import type { AsymmetricAlgorithm } from '../../src/access-tokens/algorithms.js'
import { createTokenKeys } from '../../src/access-tokens/keys.js'
import { createAccessTokens } from '../../src/access-tokens/sign-and-verify.js'
import type { PrivateJwk } from '../../src/access-tokens/signing-keys.js'
import { accessSettings, manualClock } from '../support/harness.js'
import { ALGORITHMS, b64, codeOf, hs256Sign, keyPair, privateJwk, rawSign } from './fixtures.js'

const subject = { userId: 'user-1', sessionId: 'session-1', username: 'ada' }
const REFRESH_SECRET = 'r'.repeat(32)

describe.each(ALGORITHMS)('access tokens with %s', (algorithm) => {
  const clock = manualClock()
  const [jwkA, jwkB, jwkC] = [
    privateJwk(algorithm, { kid: 'key-a' }),
    privateJwk(algorithm, { kid: 'key-b' }),
    privateJwk(algorithm, { kid: 'key-c' }),
  ] as [PrivateJwk, PrivateJwk, PrivateJwk]
  const tokensWith = (signingKeys: PrivateJwk[], ttlSeconds = 900) =>
    createAccessTokens({
      ...accessSettings,
      keys: createTokenKeys({ algorithm, signingKeys, refreshTokenSecret: REFRESH_SECRET }).access,
      clock,
      ttlSeconds,
    })
  const beforeRotation = tokensWith([jwkA])
  const duringRotation = tokensWith([jwkA, jwkB])
  const afterRetirement = tokensWith([jwkB])

  it('writes alg, typ and the kid of the signing key, and verifies its own tokens', () => {
    const { token } = beforeRotation.sign(subject)
    expect(jwt.decode(token, { complete: true })?.header).toEqual({
      alg: algorithm,
      typ: 'at+jwt',
      kid: 'key-a',
    })
    expect(beforeRotation.verifyAccessToken(token)).toMatchObject(subject)
  })

  it('rotation: a token of the old key verifies until the key is removed from the set', () => {
    const old = beforeRotation.sign(subject).token
    const fresh = duringRotation.sign(subject).token
    expect(jwt.decode(fresh, { complete: true })?.header.kid).toBe('key-b')
    expect(codeOf(() => duringRotation.verifyAccessToken(old))).toBe('accepted')
    expect(codeOf(() => duringRotation.verifyAccessToken(fresh))).toBe('accepted')
    expect(codeOf(() => afterRetirement.verifyAccessToken(fresh))).toBe('accepted')
    expect(codeOf(() => afterRetirement.verifyAccessToken(old))).toBe('invalid_token')
  })

  it('a key published as "next" verifies but does not sign', () => {
    const publishing = tokensWith([jwkA, { ...jwkB, status: 'next' }])
    const { token } = publishing.sign(subject)
    expect(jwt.decode(token, { complete: true })?.header.kid).toBe('key-a')
    // A replica that already signs with B is understood by one that only publishes it.
    expect(codeOf(() => publishing.verifyAccessToken(duringRotation.sign(subject).token))).toBe(
      'accepted',
    )
    // ...while one that has not heard of B yet refuses it: why "next" comes first.
    expect(codeOf(() => beforeRotation.verifyAccessToken(duringRotation.sign(subject).token))).toBe(
      'invalid_token',
    )
  })

  describe('attacks, all invalid_token', () => {
    const now = Math.floor(clock() / 1000)
    const claims = {
      iss: 'refresh-kit',
      aud: 'refresh-kit',
      sub: 'user-1',
      sid: 'session-1',
      jti: 'jti-1',
      iat: now,
      exp: now + 900,
      username: 'ada',
    }
    const keyA = (
      createTokenKeys({ algorithm, signingKeys: [jwkA], refreshTokenSecret: REFRESH_SECRET }).access
        .verificationKeys as ReadonlyMap<string, KeyObject>
    ).get('key-a') as KeyObject
    const privateA = createTokenKeys({
      algorithm,
      signingKeys: [jwkA],
      refreshTokenSecret: REFRESH_SECRET,
    }).access.signingKey
    const forge = (
      payload: object,
      key: KeyObject,
      alg: AsymmetricAlgorithm,
      kid?: string,
      typ = 'at+jwt',
    ) => rawSign({ alg, typ, ...(kid === undefined ? {} : { kid }) }, payload, key, alg)

    it('control: a hand-made token under key-a with the right claims is accepted', () => {
      expect(
        codeOf(() => beforeRotation.verifyAccessToken(forge(claims, privateA, algorithm, 'key-a'))),
      ).toBe('accepted')
    })

    it('an unknown kid, a missing kid, and a known kid over another key', () => {
      const privateC = createTokenKeys({
        algorithm,
        signingKeys: [jwkC],
        refreshTokenSecret: REFRESH_SECRET,
      }).access.signingKey
      for (const token of [
        forge(claims, privateC, algorithm, 'key-c'),
        forge(claims, privateA, algorithm, 'no-such-key'),
        forge(claims, privateA, algorithm),
        forge(claims, privateC, algorithm, 'key-a'),
      ]) {
        expect(codeOf(() => beforeRotation.verifyAccessToken(token))).toBe('invalid_token')
      }
    })

    it('algorithm confusion: HS256 keyed with the public key (PEM, DER, JWK) under its kid', () => {
      const secrets: (string | Buffer)[] = [
        keyA.export({ format: 'pem', type: 'spki' }).toString(),
        keyA.export({ format: 'der', type: 'spki' }),
        JSON.stringify(keyA.export({ format: 'jwk' })),
        JSON.stringify(
          createTokenKeys({ algorithm, signingKeys: [jwkA], jwtSecret: 'x'.repeat(32) }).access
            .publicJwks[0],
        ),
      ]
      for (const secret of secrets) {
        const token = hs256Sign({ alg: 'HS256', typ: 'at+jwt', kid: 'key-a' }, claims, secret)
        expect(codeOf(() => beforeRotation.verifyAccessToken(token))).toBe('invalid_token')
      }
    })

    it('alg: none, with and without the kid', () => {
      for (const header of [
        { alg: 'none', typ: 'at+jwt', kid: 'key-a' },
        { alg: 'none', typ: 'at+jwt' },
      ]) {
        const token = `${b64(header)}.${b64(claims)}.`
        expect(codeOf(() => beforeRotation.verifyAccessToken(token))).toBe('invalid_token')
      }
    })

    it('another asymmetric algorithm, signed with its own key, under the kid', () => {
      for (const other of ALGORITHMS.filter((alg) => alg !== algorithm)) {
        const token = forge(claims, keyPair(other).privateKey, other, 'key-a')
        expect(codeOf(() => beforeRotation.verifyAccessToken(token))).toBe('invalid_token')
      }
    })

    it('a tampered payload under the original signature', () => {
      const [header, , signature] = beforeRotation.sign(subject).token.split('.')
      const token = `${header}.${b64({ ...claims, sub: 'someone-else' })}.${signature}`
      expect(codeOf(() => beforeRotation.verifyAccessToken(token))).toBe('invalid_token')
    })

    it('the same claim checks as HS256: iss, aud, typ, nbf, required claims', () => {
      const { sid: _sid, ...noSid } = claims
      for (const token of [
        forge({ ...claims, iss: 'evil' }, privateA, algorithm, 'key-a'),
        forge({ ...claims, aud: 'other-api' }, privateA, algorithm, 'key-a'),
        forge({ ...claims, aud: ['other-api', 'third-api'] }, privateA, algorithm, 'key-a'),
        forge(claims, privateA, algorithm, 'key-a', 'JWT'),
        forge({ ...claims, nbf: now + 30 }, privateA, algorithm, 'key-a'),
        forge({ ...claims, nbf: 'soon' }, privateA, algorithm, 'key-a'),
        forge({ ...claims, exp: 'later' }, privateA, algorithm, 'key-a'),
        forge(noSid, privateA, algorithm, 'key-a'),
      ]) {
        expect(codeOf(() => beforeRotation.verifyAccessToken(token))).toBe('invalid_token')
      }
      for (const token of [
        forge({ ...claims, nbf: now + 5 }, privateA, algorithm, 'key-a'),
        forge({ ...claims, aud: ['other-api', 'refresh-kit'] }, privateA, algorithm, 'key-a'),
      ]) {
        expect(codeOf(() => beforeRotation.verifyAccessToken(token))).toBe('accepted')
      }
    })

    it('garbage', () => {
      for (const token of ['', 'abc', 'a.b.c', `${b64({ alg: algorithm, kid: 'key-a' })}.e30.`]) {
        expect(codeOf(() => beforeRotation.verifyAccessToken(token))).toBe('invalid_token')
      }
    })
  })

  it('accepts a token within the clock tolerance past exp, and rejects it beyond as token_expired', () => {
    const local = manualClock()
    const tokens = createAccessTokens({
      ...accessSettings,
      keys: createTokenKeys({ algorithm, signingKeys: [jwkA], refreshTokenSecret: REFRESH_SECRET })
        .access,
      clock: local,
      ttlSeconds: 60,
    })
    const { token } = tokens.sign(subject)
    local.advance(60 + 4)
    expect(codeOf(() => tokens.verifyAccessToken(token))).toBe('accepted')
    local.advance(1)
    expect(codeOf(() => tokens.verifyAccessToken(token))).toBe('token_expired')
  })
})

describe('HS256 keeps ignoring kid', () => {
  it('verifies an HS256 token whatever its kid says, as before keys could rotate', () => {
    const keys = createTokenKeys({ jwtSecret: 's'.repeat(32) })
    const tokens = createAccessTokens({
      ...accessSettings,
      keys: keys.access,
    })
    const { token } = tokens.sign(subject)
    expect(jwt.decode(token, { complete: true })?.header).toEqual({ alg: 'HS256', typ: 'at+jwt' })
    const claims = jwt.decode(token) as object
    const withKid = hs256Sign(
      { alg: 'HS256', typ: 'at+jwt', kid: 'anything' },
      claims,
      's'.repeat(32),
    )
    expect(codeOf(() => tokens.verifyAccessToken(withKid))).toBe('accepted')
  })

  it('refuses keys whose allow-list is wider than the signing algorithm', () => {
    const keys = createTokenKeys({ jwtSecret: 's'.repeat(32) }).access
    expect(() =>
      createAccessTokens({
        ...accessSettings,
        keys: { ...keys, algorithms: ['HS256', 'ES256'] },
      }),
    ).toThrow(/options.keys.algorithms must be exactly \[algorithm\]/)
  })
})
