import { describe, expect, it } from 'vitest'
import type { AuthContext } from '../../src/access-tokens/auth-context.js'
import { createTokenKeys } from '../../src/access-tokens/keys.js'
import { verifiedTokens } from '../../src/access-tokens/lib/verified-tokens.js'
import { createAccessTokens } from '../../src/access-tokens/sign-and-verify.js'
import { accessSettings, JWT_SECRET, manualClock } from '../support/harness.js'
import { codeOf } from './fixtures.js'

const subject = { userId: 'user-1', sessionId: 'session-1', username: 'ada' }

function contextWith(claims: { exp: number; nbf?: number }): AuthContext {
  return {
    ...subject,
    claims: {
      iss: 'refresh-kit',
      aud: 'refresh-kit',
      sub: subject.userId,
      sid: subject.sessionId,
      jti: 'jti',
      iat: 0,
      username: subject.username,
      ...claims,
    },
  } as AuthContext
}

describe('verified access tokens', () => {
  it('gives back a remembered token until exp plus the tolerance, then forgets it', () => {
    const verified = verifiedTokens(5)
    verified.set('token-a', contextWith({ exp: 100 }))
    expect(verified.get('token-a', 104)).toMatchObject(subject)
    expect(verified.get('token-a', 105)).toBeUndefined()
    // Forgotten: even an earlier clock gets nothing now, full verification decides.
    expect(verified.get('token-a', 50)).toBeUndefined()
    expect(verified.size).toBe(0)
  })

  it('gives nothing for a token before its nbf minus the tolerance', () => {
    const verified = verifiedTokens(5)
    verified.set('token-b', contextWith({ exp: 1000, nbf: 100 }))
    expect(verified.get('token-b', 94)).toBeUndefined()
    verified.set('token-b', contextWith({ exp: 1000, nbf: 100 }))
    expect(verified.get('token-b', 95)).toMatchObject(subject)
  })

  it('answers each hit with its own copy, so a caller that changes it changes nothing later', () => {
    const verified = verifiedTokens(0)
    verified.set('token-c', contextWith({ exp: 1000 }))
    const first = verified.get('token-c', 10) as { userId: string }
    first.userId = 'someone-else'
    expect(verified.get('token-c', 10)?.userId).toBe('user-1')
  })

  it('keeps at most its limit, dropping the oldest first', () => {
    const verified = verifiedTokens(0, 3)
    for (const token of ['t1', 't2', 't3', 't4']) verified.set(token, contextWith({ exp: 1000 }))
    expect(verified.size).toBe(3)
    expect(verified.get('t1', 10)).toBeUndefined()
    expect(verified.get('t4', 10)).toMatchObject(subject)
  })

  it('never answers for a token that differs from a remembered one by a single character', () => {
    const clock = manualClock()
    const access = createAccessTokens({
      ...accessSettings,
      keys: createTokenKeys({ jwtSecret: JWT_SECRET }).access,
      clock,
    })
    const { token } = access.sign(subject)
    expect(access.verifyAccessToken(token)).toMatchObject(subject)
    const last = token.at(-1) === 'A' ? 'B' : 'A'
    expect(codeOf(() => access.verifyAccessToken(`${token.slice(0, -1)}${last}`))).toBe(
      'invalid_token',
    )
    // The remembered token is still accepted, and refused as expired once its time is up.
    expect(access.verifyAccessToken(token)).toMatchObject(subject)
    clock.advance(accessSettings.ttlSeconds + accessSettings.clockToleranceSeconds)
    expect(codeOf(() => access.verifyAccessToken(token))).toBe('token_expired')
  })
})
