import { describe, expect, it } from 'vitest'
import { isAuthError } from '../../src/errors.js'
import { sameSession, toStoredTokens } from '../../src/manager/token-answer.js'
import type { RefreshResult, StoredTokens } from '../../src/types.js'

const AT = Date.UTC(2026, 0, 1)
const previous: StoredTokens = {
  accessToken: 'at-0',
  refreshToken: 'rt-0',
  expiresAt: AT - 1000,
  issuedAt: AT - 61_000,
  refreshExpiresAt: AT + 3_600_000,
}

describe('toStoredTokens', () => {
  it('dates the answer on the local clock at receipt, whatever the server’s clock says', () => {
    expect(
      toStoredTokens(
        { accessToken: 'at-1', refreshToken: 'rt-1', expiresIn: 60, refreshExpiresIn: 3600 },
        previous,
        AT,
        false,
      ),
    ).toEqual({
      accessToken: 'at-1',
      refreshToken: 'rt-1',
      expiresAt: AT + 60_000,
      issuedAt: AT,
      refreshExpiresAt: AT + 3_600_000,
    })
  })

  it('keeps the presented refresh token and its expiry when a backend does not rotate', () => {
    const tokens = toStoredTokens({ accessToken: 'at-1', expiresIn: 60 }, previous, AT, false)
    expect(tokens).toMatchObject({
      refreshToken: 'rt-0',
      refreshExpiresAt: previous.refreshExpiresAt,
    })
  })

  it('refuses, for good, a refresh token in the body with the cookie transport', () => {
    const answer: RefreshResult = { accessToken: 'at-1', refreshToken: 'rt-1', expiresIn: 60 }
    const error = (() => {
      try {
        return toStoredTokens(answer, null, AT, true)
      } catch (thrown) {
        return thrown
      }
    })()
    expect(isAuthError(error) && [error.code, error.retryable, error.message]).toEqual([
      'internal_error',
      false,
      'refresh token in the body, not the cookie',
    ])
    expect(
      toStoredTokens({ accessToken: 'at-1', expiresIn: 60 }, null, AT, true).refreshToken,
    ).toBe('')
  })

  it('refuses a malformed answer as retryable', () => {
    const malformed = { accessToken: 'at-1', refreshToken: 'rt-1' } as unknown as RefreshResult
    expect(() => toStoredTokens(malformed, previous, AT, false)).toThrow(
      expect.objectContaining({ code: 'internal_error', retryable: true }),
    )
  })
})

describe('sameSession', () => {
  it('tells a rotated or replaced session from the same one', () => {
    expect(sameSession(previous, { ...previous })).toBe(true)
    expect(sameSession(null, null)).toBe(true)
    expect(sameSession(previous, null)).toBe(false)
    expect(sameSession(previous, { ...previous, refreshToken: 'rt-1' })).toBe(false)
    expect(sameSession(previous, { ...previous, accessToken: 'at-1' })).toBe(false)
  })
})
