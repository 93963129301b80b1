import { createSecretKey } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createTokenKeys } from '../../src/access-tokens/keys.js'
import { randomId } from '../../src/lib/random-id.js'
import { createRefreshTokenCodec } from '../../src/sessions/refresh-token.js'
import { JWT_SECRET } from '../support/harness.js'

const codec = createRefreshTokenCodec(createTokenKeys({ jwtSecret: JWT_SECRET }).refreshMacKey)
const claims = { userId: randomId(), sessionId: randomId(), generation: 3 }

describe('refresh-token format', () => {
  it('is rk1.<userId>.<sessionId>.<generation>.<mac> and parses back', () => {
    const token = codec.issue(claims)
    expect(token).toMatch(/^rk1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}\.3\.[A-Za-z0-9_-]{43}$/)
    expect(token.startsWith(`rk1.${claims.userId}.${claims.sessionId}.3.`)).toBe(true)
    expect(codec.parse(token)).toEqual(claims)
  })

  it('gives the same token for the same claims, so a grace retry gets the same successor', () => {
    expect(codec.issue(claims)).toBe(codec.issue(claims))
    expect(codec.issue({ ...claims, generation: 4 })).not.toBe(codec.issue(claims))
  })

  it('refuses a changed generation, a changed MAC, and a MAC of another key', () => {
    const token = codec.issue(claims)
    expect(codec.parse(token.replace('.3.', '.4.'))).toBeNull()
    const last = token.at(-2) === 'A' ? 'B' : 'A'
    expect(codec.parse(`${token.slice(0, -2)}${last}${token.at(-1)}`)).toBeNull()
    const other = createRefreshTokenCodec(createSecretKey(Buffer.alloc(32, 7)))
    expect(codec.parse(other.issue(claims))).toBeNull()
  })

  it('refuses malformed input strictly', () => {
    const token = codec.issue(claims)
    for (const bad of [
      '',
      'rk1',
      token.replace('rk1.', 'rk2.'),
      token.replace('.3.', '.03.'),
      token.replace('.3.', '.-3.'),
      `${token}.x`,
      ` ${token}`,
      `${token}A`,
      token.replace(claims.userId, claims.userId.slice(1)),
      'x'.repeat(600),
      42,
      null,
      { token },
    ]) {
      expect(codec.parse(bad)).toBeNull()
    }
  })

  it('refuses an unsafe generation', () => {
    expect(() => codec.issue({ ...claims, generation: -1 })).toThrow(TypeError)
    expect(() => codec.issue({ ...claims, generation: 1.5 })).toThrow(TypeError)
  })

  it('uses a refresh key derived apart from the JWT key, or the one configured', () => {
    const derived = createTokenKeys({ jwtSecret: JWT_SECRET })
    expect(derived.refreshMacKey.equals(derived.access.signingKey)).toBe(false)
    const explicit = createTokenKeys({ jwtSecret: JWT_SECRET, refreshTokenSecret: 'r'.repeat(32) })
    expect(explicit.refreshMacKey.export().toString()).toBe('r'.repeat(32))
    expect(() => createTokenKeys({ jwtSecret: 'short' })).toThrow(
      /jwtSecret must be at least 32 bytes/,
    )
    expect(() => createTokenKeys({ jwtSecret: JWT_SECRET, refreshTokenSecret: 'short' })).toThrow(
      /refreshTokenSecret/,
    )
  })
})
