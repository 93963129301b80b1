import { createHmac } from 'node:crypto'
import jwt from 'jsonwebtoken'
import { describe, expect, it } from 'vitest'
import { createTokenKeys } from '../../src/access-tokens/keys.js'
import { createAccessTokens } from '../../src/access-tokens/sign-and-verify.js'
import { accessSettings, JWT_SECRET, manualClock } from '../support/harness.js'
import { b64, codeOf, hs256Sign } from './fixtures.js'

const keys = createTokenKeys({ jwtSecret: JWT_SECRET })
const subject = { userId: 'user-1', sessionId: 'session-1', username: 'ada' }

const handMade = (header: object, payload: object, secret: string | Buffer = JWT_SECRET) =>
  hs256Sign(header, payload, secret)

describe('access tokens', () => {
  const clock = manualClock()
  const access = createAccessTokens({
    ...accessSettings,
    keys: keys.access,
    clock,
  })

  it('carries the RFC 9068 header and every claim of the contract', () => {
    const { token, expiresIn } = access.sign(subject)
    expect(expiresIn).toBe(900)
    const decoded = jwt.decode(token, { complete: true })
    expect(decoded?.header).toEqual({ alg: 'HS256', typ: 'at+jwt' })
    const now = Math.floor(clock() / 1000)
    expect(decoded?.payload).toEqual({
      iss: 'refresh-kit',
      aud: 'refresh-kit',
      sub: 'user-1',
      sid: 'session-1',
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      iat: now,
      exp: now + 900,
      username: 'ada',
    })
    expect(access.verifyAccessToken(token)).toMatchObject(subject)
  })

  it('accepts a token within the clock tolerance past exp, and rejects it beyond as token_expired', () => {
    const local = manualClock()
    const tokens = createAccessTokens({
      ...accessSettings,
      keys: keys.access,
      clock: local,
      ttlSeconds: 60,
    })
    const { token } = tokens.sign(subject)
    // exp is exclusive (RFC 7519 §4.1.4): valid while now < exp + tolerance.
    local.advance(60 + 4)
    expect(codeOf(() => tokens.verifyAccessToken(token))).toBe('accepted')
    local.advance(1)
    expect(codeOf(() => tokens.verifyAccessToken(token))).toBe('token_expired')
  })

  it('rejects a token whose nbf is beyond the tolerance as invalid_token', () => {
    const now = Math.floor(clock() / 1000)
    const claims = {
      ...subject,
      iss: 'refresh-kit',
      aud: 'refresh-kit',
      sub: 'u',
      sid: 's',
      jti: 'j',
      iat: now,
      exp: now + 60,
    }
    const early = handMade({ alg: 'HS256', typ: 'at+jwt' }, { ...claims, nbf: now + 30 })
    expect(codeOf(() => access.verifyAccessToken(early))).toBe('invalid_token')
    const justSo = handMade({ alg: 'HS256', typ: 'at+jwt' }, { ...claims, nbf: now + 5 })
    expect(codeOf(() => access.verifyAccessToken(justSo))).toBe('accepted')
  })

  describe('attacks, all invalid_token', () => {
    const now = Math.floor(Date.UTC(2026, 0, 1) / 1000)
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

    it('control: a hand-made token with the right key and claims is accepted', () => {
      expect(
        codeOf(() => access.verifyAccessToken(handMade({ alg: 'HS256', typ: 'at+jwt' }, claims))),
      ).toBe('accepted')
    })

    it('alg: none', () => {
      const token = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`
      expect(codeOf(() => access.verifyAccessToken(token))).toBe('invalid_token')
    })

    it('HS256 signed with a different secret', () => {
      const token = handMade(
        { alg: 'HS256', typ: 'at+jwt' },
        claims,
        'another-secret-0123456789abcdefghijklmnop',
      )
      expect(codeOf(() => access.verifyAccessToken(token))).toBe('invalid_token')
    })

    it('another algorithm of the allow-list family (HS512) with the right key', () => {
      const body = `${b64({ alg: 'HS512', typ: 'at+jwt' })}.${b64(claims)}`
      const token = `${body}.${createHmac('sha512', JWT_SECRET).update(body).digest('base64url')}`
      expect(codeOf(() => access.verifyAccessToken(token))).toBe('invalid_token')
    })

    it('tampered payload under the original signature', () => {
      const [header, , signature] = access.sign(subject).token.split('.')
      const token = `${header}.${b64({ ...claims, sub: 'someone-else' })}.${signature}`
      expect(codeOf(() => access.verifyAccessToken(token))).toBe('invalid_token')
    })

    it('wrong iss, wrong aud, wrong or missing typ', () => {
      for (const token of [
        handMade({ alg: 'HS256', typ: 'at+jwt' }, { ...claims, iss: 'evil' }),
        handMade({ alg: 'HS256', typ: 'at+jwt' }, { ...claims, aud: 'other-api' }),
        handMade({ alg: 'HS256', typ: 'JWT' }, claims),
        handMade({ alg: 'HS256' }, claims),
      ]) {
        expect(codeOf(() => access.verifyAccessToken(token))).toBe('invalid_token')
      }
    })

    it('missing required claims (sid, exp)', () => {
      const { sid: _sid, ...noSid } = claims
      const { exp: _exp, ...noExp } = claims
      expect(
        codeOf(() => access.verifyAccessToken(handMade({ alg: 'HS256', typ: 'at+jwt' }, noSid))),
      ).toBe('invalid_token')
      expect(
        codeOf(() => access.verifyAccessToken(handMade({ alg: 'HS256', typ: 'at+jwt' }, noExp))),
      ).toBe('invalid_token')
    })

    it('garbage and a refresh token', () => {
      for (const token of [
        '',
        'abc',
        'a.b.c',
        'rk1.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.0.x',
      ]) {
        expect(codeOf(() => access.verifyAccessToken(token))).toBe('invalid_token')
      }
    })
  })

  it('refuses bad options with a TypeError naming them', () => {
    // @ts-expect-error: the keys are required
    expect(() => createAccessTokens({ ...accessSettings })).toThrow(/options.keys/)
    expect(() =>
      createAccessTokens({
        ...accessSettings,
        keys: keys.access,
        ttlSeconds: 0,
      }),
    ).toThrow(/options.ttlSeconds/)
    expect(() =>
      createAccessTokens({
        ...accessSettings,
        keys: keys.access,
        issuer: '',
      }),
    ).toThrow(/options.issuer/)
  })
})
