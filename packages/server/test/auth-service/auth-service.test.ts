import { describe, expect, it } from 'vitest'
import { createTokenKeys } from '../../src/access-tokens/keys.js'
import { createAuthService } from '../../src/auth-service.js'
import type { PasswordHasher } from '../../src/credentials/password-hashing.js'
import { isAuthError } from '../../src/errors.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { cheapPasswords, JWT_SECRET, settings } from '../support/harness.js'

const keys = createTokenKeys({ jwtSecret: JWT_SECRET })

describe('createAuthService', () => {
  it('spends scrypt work on an unknown username, as on a wrong password', async () => {
    const work: string[] = []
    const passwords: PasswordHasher = {
      hash: (password) => cheapPasswords.hash(password),
      verify: (password, encoded) => {
        work.push('verify')
        return cheapPasswords.verify(password, encoded)
      },
      verifyNothing: (password) => {
        work.push('verifyNothing')
        return cheapPasswords.verifyNothing(password)
      },
    }
    const tokens = createAuthService({ ...settings, store: createMemoryStore(), keys, passwords })
    await tokens.register({ username: 'ada', password: 'correct horse battery' })
    const attempt = (username: string) =>
      tokens
        .login({ username, password: 'wrong password', clientAddress: '::1', userAgent: null })
        .then(
          () => 'accepted',
          (error: unknown) => (isAuthError(error) ? error.code : 'other'),
        )
    expect(await attempt('ada')).toBe('invalid_credentials')
    expect(await attempt('nobody')).toBe('invalid_credentials')
    expect(work).toEqual(['verify', 'verifyNothing'])
  })

  it('refuses bad options with a TypeError naming them', () => {
    const store = createMemoryStore()
    // @ts-expect-error: the store is required
    expect(() => createAuthService({ ...settings, keys })).toThrow(/options.store/)
    // @ts-expect-error: the keys are required
    expect(() => createAuthService({ ...settings, store })).toThrow(/options.keys/)
    expect(() => createAuthService({ ...settings, store, keys, reuseGraceSeconds: -1 })).toThrow(
      /options.reuseGraceSeconds/,
    )
    expect(() => createAuthService({ ...settings, store, keys, maxSessionsPerUser: -1 })).toThrow(
      /options.maxSessionsPerUser/,
    )
    expect(() =>
      createAuthService({ ...settings, store, keys, refreshTokenTtlSeconds: 1.5 }),
    ).toThrow(/options.refreshTokenTtlSeconds/)
  })
})
