import { describe, expect, it } from 'vitest'
import {
  type AbuseLimitRules,
  createAbuseLimits,
  DEFAULT_ABUSE_LIMIT_RULES,
  RateLimitRefusal,
} from '../../../src/credentials/limits/abuse-limits.js'
import { isAuthError } from '../../../src/errors.js'
import { outcome } from '../../support/outcome.js'

const rules = (overrides: Partial<AbuseLimitRules> = {}): AbuseLimitRules => ({
  ...DEFAULT_ABUSE_LIMIT_RULES,
  ...overrides,
})

describe('createAbuseLimits in process memory', () => {
  it('of 200 parallel reservations for one (username, address), grants exactly LOGIN_MAX_FAILURES', async () => {
    const limits = createAbuseLimits({ rules: rules() })
    const results = await Promise.all(
      Array.from({ length: 200 }, () => outcome(limits.reserveLogin('ada', '192.0.2.1'))),
    )
    expect(results.filter((r) => typeof r !== 'string')).toHaveLength(5)
    expect(results.filter((r) => r === 'rate_limited')).toHaveLength(195)
    // The fifth grant is the one that locks the pair if it fails.
    const locking = results.filter((r) => typeof r !== 'string' && r.locks.length > 0)
    expect(locking).toHaveLength(1)
  })

  it('gives back the failure of a right password and of a try never verified; a success clears the pair', async () => {
    const limits = createAbuseLimits({ rules: rules() })
    for (let n = 0; n < 4; n++) await limits.reserveLogin('Ada', '192.0.2.2')
    const right = await limits.reserveLogin('ada', '192.0.2.2')
    await right.succeeded()
    for (let n = 0; n < 5; n++) {
      const reservation = await limits.reserveLogin('ADA', '192.0.2.2')
      if (n === 0) await reservation.cancelled()
    }
    // 4 failures counted since the success (the cancelled one was handed back): one left.
    await limits.reserveLogin('ada', '192.0.2.2')
    expect(await outcome(limits.reserveLogin('ada', '192.0.2.2'))).toBe('rate_limited')
  })

  it('refuses with Retry-After and names the refusing limits in the cause', async () => {
    const limits = createAbuseLimits({
      rules: rules({ loginAttemptsPerAddress: { points: 2, durationSeconds: 60 } }),
    })
    await limits.reserveLogin('a1', '192.0.2.3')
    await limits.reserveLogin('a2', '192.0.2.3')
    const error = await limits.reserveLogin('a3', '192.0.2.3').catch((e: unknown) => e)
    expect(isAuthError(error) && error.retryAfterSeconds).toBeGreaterThan(0)
    const cause = (error as { cause?: unknown }).cause
    expect(cause).toBeInstanceOf(RateLimitRefusal)
    expect((cause as RateLimitRefusal).limits).toEqual(['login_attempts_per_address'])
  })

  it('turns a limit off with 0 points', async () => {
    const limits = createAbuseLimits({
      rules: rules({ registrationsPerAddress: { points: 0, durationSeconds: 3600 } }),
    })
    for (let n = 0; n < 50; n++) await limits.reserveRegistration('192.0.2.4')
  })

  it('refuses bad rules with a TypeError naming them', () => {
    expect(() =>
      createAbuseLimits({
        rules: rules({ loginFailuresPerPair: { points: -1, durationSeconds: 60 } }),
      }),
    ).toThrow(/rules.loginFailuresPerPair.points/)
  })
})
