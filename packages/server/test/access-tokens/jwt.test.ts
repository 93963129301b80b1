import { createHmac, createSecretKey, generateKeyPairSync } from 'node:crypto'
import jwt from 'jsonwebtoken'
import { describe, expect, it } from 'vitest'
import { createTokenKeys } from '../../src/access-tokens/keys.js'
import {
  createJwtSigner,
  MAX_JWT_LENGTH,
  readHeader,
  type VerifyJwtOptions,
  verifyJwt,
} from '../../src/access-tokens/lib/jwt.js'
import { createAccessTokens } from '../../src/access-tokens/sign-and-verify.js'
import { isAuthError } from '../../src/errors.js'
import { accessSettings, JWT_SECRET, manualClock } from '../support/harness.js'
import { ALGORITHMS, privateJwk, rawSign } from './fixtures.js'

// HS256 is signed and verified with node:crypto, not jsonwebtoken. These tests hold the two
// to the same answers: jsonwebtoken 9 is the oracle for every token below, signed by either.

const NOW = Math.floor(Date.UTC(2026, 0, 1) / 1000)
const TOLERANCE = 5
const key = createSecretKey(Buffer.from(JWT_SECRET))
const options: VerifyJwtOptions = {
  algorithm: 'HS256',
  issuer: 'refresh-kit',
  audience: 'refresh-kit',
  clockToleranceSeconds: TOLERANCE,
  nowSeconds: NOW,
}
const header = { alg: 'HS256', typ: 'at+jwt' }
const claims = {
  iss: 'refresh-kit',
  aud: 'refresh-kit',
  sub: 'user-1',
  sid: 'session-1',
  jti: 'jti-1',
  iat: NOW,
  exp: NOW + 900,
  username: 'ada',
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const b64Text = (text: string) => Buffer.from(text).toString('base64url')
const hmac = (input: string, secret: string | Buffer = JWT_SECRET) =>
  createHmac('sha256', secret).update(input).digest('base64url')
/** Header and payload segments as given, HMAC-SHA256-signed over exactly that text. */
const signSegments = (head: string, body: string, secret: string | Buffer = JWT_SECRET) =>
  `${head}.${body}.${hmac(`${head}.${body}`, secret)}`
const handMade = (h: object, p: unknown, secret: string | Buffer = JWT_SECRET) =>
  signSegments(b64(h), b64(p), secret)

/** Outcome by error class, as `verificationError` tells them apart. */
function outcome(run: () => unknown): string {
  try {
    run()
    return 'accepted'
  } catch (error) {
    if (error instanceof jwt.TokenExpiredError) return 'TokenExpiredError'
    if (error instanceof jwt.NotBeforeError) return 'NotBeforeError'
    if (error instanceof jwt.JsonWebTokenError) return 'JsonWebTokenError'
    throw error
  }
}
const ours = (token: string) => outcome(() => verifyJwt(token, key, options))
const theirs = (token: string) =>
  outcome(() =>
    jwt.verify(token, key, {
      algorithms: ['HS256'],
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: TOLERANCE,
      clockTimestamp: NOW,
      complete: true,
    }),
  )

/** The code `/auth/me` answers for a token of the HS256 token server at `NOW`. */
function codeOf(token: string): string {
  const access = createAccessTokens({
    ...accessSettings,
    keys: createTokenKeys({ jwtSecret: JWT_SECRET }).access,
    clock: () => NOW * 1000,
  })
  try {
    access.verifyAccessToken(token)
    return 'accepted'
  } catch (error) {
    if (isAuthError(error)) return error.code
    throw error
  }
}
const CODE_OF_OUTCOME: Record<string, string> = {
  accepted: 'accepted',
  TokenExpiredError: 'token_expired',
  NotBeforeError: 'invalid_token',
  JsonWebTokenError: 'invalid_token',
}

const genuine = jwt.sign(claims, key, { algorithm: 'HS256', header })
const [genuineHead = '', genuineBody = '', genuineSignature = ''] = genuine.split('.')
const es256 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const duplicatedAud = (auds: [string, string]) =>
  b64Text(`${JSON.stringify({ ...claims, aud: auds[0] }).slice(0, -1)},"aud":"${auds[1]}"}`)
/** The last character with one of the bits past the final byte set: same bytes, other text. */
const lowBitFlipped = (segment: string) => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  return segment.slice(0, -1) + alphabet[alphabet.indexOf(segment.slice(-1)) ^ 1]
}

/** Every case, with what jsonwebtoken answers for it (asserted below, not assumed). */
const CASES: [string, string, string][] = [
  ['genuine, signed by jsonwebtoken', genuine, 'accepted'],
  [
    'alg none, unsigned',
    `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`,
    'JsonWebTokenError',
  ],
  [
    'alg none with the genuine signature',
    `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.${genuineSignature}`,
    'JsonWebTokenError',
  ],
  [
    'alg None, HMAC-signed with the secret',
    handMade({ alg: 'None', typ: 'at+jwt' }, claims),
    'JsonWebTokenError',
  ],
  [
    'alg HS512 signed with the secret',
    (() => {
      const input = `${b64({ alg: 'HS512', typ: 'at+jwt' })}.${b64(claims)}`
      return `${input}.${createHmac('sha512', JWT_SECRET).update(input).digest('base64url')}`
    })(),
    'JsonWebTokenError',
  ],
  [
    'alg RS256 HMAC-signed with the secret',
    handMade({ alg: 'RS256', typ: 'at+jwt' }, claims),
    'JsonWebTokenError',
  ],
  [
    'alg ES256 HMAC-signed with the secret',
    handMade({ alg: 'ES256', typ: 'at+jwt' }, claims),
    'JsonWebTokenError',
  ],
  [
    'alg EdDSA HMAC-signed with the secret',
    handMade({ alg: 'EdDSA', typ: 'at+jwt' }, claims),
    'JsonWebTokenError',
  ],
  [
    'a genuine ES256 token of another key',
    jwt.sign(claims, es256.privateKey, {
      algorithm: 'ES256',
      header: { alg: 'ES256', typ: 'at+jwt' },
    }),
    'JsonWebTokenError',
  ],
  ['alg missing', handMade({ typ: 'at+jwt' }, claims), 'JsonWebTokenError'],
  ['signed with another secret', handMade(header, claims, 'x'.repeat(48)), 'JsonWebTokenError'],
  [
    'payload tampered',
    `${genuineHead}.${b64({ ...claims, sub: 'mallory' })}.${genuineSignature}`,
    'JsonWebTokenError',
  ],
  ['signature one character short', genuine.slice(0, -1), 'JsonWebTokenError'],
  ['signature one character long', `${genuine}A`, 'JsonWebTokenError'],
  ['signature padded with =', `${genuine}=`, 'JsonWebTokenError'],
  [
    'signature in the other base64 alphabet',
    `${genuineHead}.${genuineBody}.${Buffer.from(genuineSignature, 'base64url').toString('base64')}`,
    'JsonWebTokenError',
  ],
  [
    'signature spelled non-canonically',
    `${genuineHead}.${genuineBody}.${lowBitFlipped(genuineSignature)}`,
    'JsonWebTokenError',
  ],
  [
    'signature of another token',
    `${genuineHead}.${genuineBody}.${hmac('x.y')}`,
    'JsonWebTokenError',
  ],
  ['signature missing', `${genuineHead}.${genuineBody}.`, 'JsonWebTokenError'],
  ['a fourth segment', `${genuine}.${genuineSignature}`, 'JsonWebTokenError'],
  ['two segments', `${genuineHead}.${genuineBody}`, 'JsonWebTokenError'],
  ['empty', '', 'JsonWebTokenError'],
  ['garbage', 'abc', 'JsonWebTokenError'],
  ['three garbage segments', 'a.b.c', 'JsonWebTokenError'],
  ['a refresh token', 'rk1.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.0.x', 'JsonWebTokenError'],
  ['leading space', ` ${genuine}`, 'JsonWebTokenError'],
  ['header an array', signSegments(b64Text('[]'), genuineBody), 'JsonWebTokenError'],
  ['header null', signSegments(b64Text('null'), genuineBody), 'JsonWebTokenError'],
  ['header not JSON', signSegments(b64Text('{"alg":"HS256",'), genuineBody), 'JsonWebTokenError'],
  ['payload a string', signSegments(genuineHead, b64Text('"refresh-kit"')), 'JsonWebTokenError'],
  ['payload an array', signSegments(genuineHead, b64Text('["refresh-kit"]')), 'JsonWebTokenError'],
  ['payload not JSON', signSegments(genuineHead, b64Text('{"aud":')), 'JsonWebTokenError'],
  [
    'duplicated aud, the last one wrong',
    signSegments(genuineHead, duplicatedAud(['refresh-kit', 'other-api'])),
    'JsonWebTokenError',
  ],
  [
    'duplicated aud, the last one right',
    signSegments(genuineHead, duplicatedAud(['other-api', 'refresh-kit'])),
    'accepted',
  ],
  ['iss wrong', handMade(header, { ...claims, iss: 'evil' }), 'JsonWebTokenError'],
  ['iss missing', handMade(header, { ...claims, iss: undefined }), 'JsonWebTokenError'],
  ['aud wrong', handMade(header, { ...claims, aud: 'other-api' }), 'JsonWebTokenError'],
  ['aud missing', handMade(header, { ...claims, aud: undefined }), 'JsonWebTokenError'],
  [
    'aud an array holding it',
    handMade(header, { ...claims, aud: ['other-api', 'refresh-kit'] }),
    'accepted',
  ],
  [
    'aud an array without it',
    handMade(header, { ...claims, aud: ['other-api'] }),
    'JsonWebTokenError',
  ],
  ['aud an empty array', handMade(header, { ...claims, aud: [] }), 'JsonWebTokenError'],
  [
    'exp within the tolerance',
    handMade(header, { ...claims, exp: NOW - TOLERANCE + 1 }),
    'accepted',
  ],
  [
    'exp at the tolerance',
    handMade(header, { ...claims, exp: NOW - TOLERANCE }),
    'TokenExpiredError',
  ],
  ['exp long past', handMade(header, { ...claims, exp: NOW - 3600 }), 'TokenExpiredError'],
  ['exp a string', handMade(header, { ...claims, exp: String(NOW + 900) }), 'JsonWebTokenError'],
  ['exp null', handMade(header, { ...claims, exp: null }), 'JsonWebTokenError'],
  [
    'expired and signed with another secret',
    handMade(header, { ...claims, exp: NOW - 3600 }, 'x'.repeat(48)),
    'JsonWebTokenError',
  ],
  [
    'expired and of another audience',
    handMade(header, { ...claims, exp: NOW - 3600, aud: 'other-api' }),
    'TokenExpiredError',
  ],
  [
    'expired and not yet active',
    handMade(header, { ...claims, exp: NOW - 3600, nbf: NOW + 3600 }),
    'NotBeforeError',
  ],
  ['nbf at the tolerance', handMade(header, { ...claims, nbf: NOW + TOLERANCE }), 'accepted'],
  [
    'nbf past the tolerance',
    handMade(header, { ...claims, nbf: NOW + TOLERANCE + 1 }),
    'NotBeforeError',
  ],
  ['nbf a string', handMade(header, { ...claims, nbf: String(NOW) }), 'JsonWebTokenError'],
  ['unicode claims', handMade(header, { ...claims, username: 'Ada Lövelace ✓' }), 'accepted'],
]

describe('HS256 through jsonwebtoken, configured once', () => {
  it.each(CASES)('%s: the same outcome as jsonwebtoken', (_name, token, expected) => {
    expect(theirs(token)).toBe(expected)
    expect(ours(token)).toBe(expected)
  })

  it.each(CASES)('%s: the same code on /auth/me', (_name, token, expected) => {
    // Every case carries typ at+jwt and every claim, so the code follows the outcome.
    expect(codeOf(token)).toBe(CODE_OF_OUTCOME[expected])
  })

  it('signs byte for byte what jsonwebtoken signs', () => {
    const sign = createJwtSigner(key, 'HS256', { typ: 'at+jwt' })
    expect(sign(claims)).toBe(genuine)
    const other = { ...claims, sub: 'user-2', username: 'Grace Hopper ✓' }
    expect(sign(other)).toBe(jwt.sign(other, key, { algorithm: 'HS256', header }))
  })

  it('interoperates: tokens of the access-token service verify with jsonwebtoken, and the reverse', () => {
    const clock = manualClock(NOW * 1000)
    const access = createAccessTokens({
      ...accessSettings,
      keys: createTokenKeys({ jwtSecret: JWT_SECRET }).access,
      clock,
    })
    const subject = { userId: 'user-9', sessionId: 'session-9', username: 'ada' }
    const { token } = access.sign(subject)
    const verified = jwt.verify(token, key, {
      algorithms: ['HS256'],
      issuer: 'refresh-kit',
      audience: 'refresh-kit',
      clockTimestamp: NOW,
      complete: true,
    })
    expect(verified.header).toEqual(header)
    expect(verified.payload).toMatchObject({ sub: 'user-9', sid: 'session-9', exp: NOW + 900 })
    const theirToken = jwt.sign(
      { ...claims, sub: 'user-9', sid: 'session-9' },
      JWT_SECRET, // a string secret, as most other services hold it
      { algorithm: 'HS256', header },
    )
    expect(access.verifyAccessToken(theirToken)).toMatchObject({
      userId: 'user-9',
      sessionId: 'session-9',
      username: 'ada',
    })
  })

  it('refuses a token of more than MAX_JWT_LENGTH characters before decoding it, though validly signed', () => {
    const pad = 'p'.repeat(MAX_JWT_LENGTH)
    const huge = handMade(header, { ...claims, pad })
    expect(theirs(huge)).toBe('accepted')
    expect(ours(huge)).toBe('JsonWebTokenError')
    expect(codeOf(huge)).toBe('invalid_token')
    expect(readHeader(huge)).toBeNull()
    // Just under the bound, the same claims pass: the bound is on length, not content.
    const fits = handMade(header, { ...claims, pad: '' })
    const room = MAX_JWT_LENGTH - fits.length
    const longest = handMade(header, { ...claims, pad: 'p'.repeat(Math.floor((room * 3) / 4) - 2) })
    expect(longest.length).toBeLessThanOrEqual(MAX_JWT_LENGTH)
    expect(ours(longest)).toBe('accepted')
  })

  it('refuses header or payload segments spelled non-canonically, though signed over that spelling', () => {
    // jsonwebtoken decodes these leniently; the token server never writes them.
    const loose = (segment: string) => lowBitFlipped(segment)
    // Both segments need spare bits in their last character: lengths not a multiple of 4.
    const head = b64Text('{"alg":"HS256", "typ":"at+jwt"}')
    const body = ['ada1', 'ada12', 'ada123']
      .map((username) => b64({ ...claims, username }))
      .find((segment) => segment.length % 4 !== 0)
    expect(head.length % 4).not.toBe(0)
    if (body === undefined) throw new Error('no payload of the needed length')
    expect(ours(signSegments(head, body))).toBe('accepted')
    for (const token of [signSegments(loose(head), body), signSegments(head, loose(body))]) {
      expect(theirs(token)).toBe('accepted')
      expect(ours(token)).toBe('JsonWebTokenError')
      expect(codeOf(token)).toBe('invalid_token')
    }
    // A lone trailing character is no base64url at all; Node's decoder drops it silently.
    const lone = signSegments(`${b64(header)}A`, body)
    expect(theirs(lone)).toBe('accepted')
    expect(ours(lone)).toBe('JsonWebTokenError')
  })

  it('refuses to sign or verify HS256 with a key that is not a secret', () => {
    expect(() => createJwtSigner(es256.privateKey, 'HS256', { typ: 'at+jwt' })).toThrow(TypeError)
    expect(outcome(() => verifyJwt(genuine, es256.publicKey, options))).toBe('JsonWebTokenError')
  })
})

describe.each(ALGORITHMS)('%s signatures spelled non-canonically', (algorithm) => {
  it('are refused, where the decoder alone would read the same signature bytes', async () => {
    const jwk = privateJwk(algorithm, { kid: 'key-a' })
    const keys = createTokenKeys({
      algorithm,
      signingKeys: [jwk],
      refreshTokenSecret: 'r'.repeat(32),
    })
    const access = createAccessTokens({
      ...accessSettings,
      keys: keys.access,
      clock: manualClock(NOW * 1000),
    })
    const { token } = access.sign({ userId: 'user-1', sessionId: 'session-1', username: 'ada' })
    const [head, body, signature = ''] = token.split('.')
    expect(access.verifyAccessToken(token)).toMatchObject({ userId: 'user-1' })
    // ES256 (64 bytes) leaves spare bits; so does RSA-2048 (256 bytes).
    expect(signature.length % 4).not.toBe(0)
    const respelled = `${head}.${body}.${lowBitFlipped(signature)}`
    expect(Buffer.from(respelled.split('.')[2] ?? '', 'base64url')).toEqual(
      Buffer.from(signature, 'base64url'),
    )
    expect(() => access.verifyAccessToken(respelled)).toThrow(
      expect.objectContaining({ code: 'invalid_token' }),
    )
    // The same holds for a hand-signed token (rawSign is independent of the code under test).
    const { createPrivateKey } = await import('node:crypto')
    const raw = rawSign(
      { alg: algorithm, typ: 'at+jwt', kid: 'key-a' },
      { ...claims },
      createPrivateKey({ key: jwk as never, format: 'jwk' }),
      algorithm,
    )
    expect(access.verifyAccessToken(raw)).toMatchObject({ userId: 'user-1' })
  })
})
