import { describe, expect, it } from 'vitest'
import { createTokenKeys } from '../../src/access-tokens/keys.js'
import { createMemoryRevocations } from '../../src/access-tokens/revocation/memory-revocations.js'
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

  it('refuses revocations kept for less than the access-token lifetime, which would let revoked access tokens back in', async () => {
    const store = createMemoryStore()
    const lifetime = { accessTokenTtlSeconds: 900, clockToleranceSeconds: 5 }
    const short = createMemoryRevocations({ accessTokenTtlSeconds: 60, clockToleranceSeconds: 5 })
    expect(() =>
      createAuthService({ ...settings, ...lifetime, store, keys, revocations: short }),
    ).toThrow(
      /options.revocations keeps a revocation 65 s, less than options.accessTokenTtlSeconds \+ options.clockToleranceSeconds \(905 s\)/,
    )

    // Built with the same lifetime, a logged-out session's access token stays refused for
    // as long as it would be accepted.
    let now = Date.UTC(2026, 0, 1)
    const clock = () => now
    const tokens = createAuthService({
      ...settings,
      ...lifetime,
      store,
      keys,
      clock,
      passwords: cheapPasswords,
      revocations: createMemoryRevocations({ ...lifetime, clock }),
    })
    await tokens.register({ username: 'ada', password: 'correct horse battery' })
    const pair = await tokens.login({
      username: 'ada',
      password: 'correct horse battery',
      clientAddress: '::1',
      userAgent: null,
    })
    await tokens.logout(pair.refreshToken)
    now += 899_000
    expect(() => tokens.verifyAccessToken(pair.accessToken)).toThrow(
      'the session of this access token has ended',
    )
  })
})
