import { useTestRedis } from '@refresh-kit/testing'
import { describe, expect, it } from 'vitest'
import {
  createAbuseLimits,
  DEFAULT_ABUSE_LIMIT_RULES,
} from '../../../src/credentials/limits/abuse-limits.js'
import { outcome } from '../../support/outcome.js'

const redis = useTestRedis('abuse-limits')

describe('createAbuseLimits on Redis', () => {
  const client = redis.client()
  const limitsUnder = (prefix: string) =>
    createAbuseLimits({
      redis: client,
      keyPrefix: `${redis.keyPrefix}${prefix}:`,
      rules: DEFAULT_ABUSE_LIMIT_RULES,
    })
  const failureKeys = async (prefix: string) => {
    const found: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await client.scan(
        cursor,
        'MATCH',
        `${redis.keyPrefix}${prefix}:rl:login_failures*`,
        'COUNT',
        1000,
      )
      cursor = next
      found.push(...batch)
    } while (cursor !== '0')
    return found.sort()
  }

  it('a successful login leaves no failure counter behind; a failed one leaves its counts', async () => {
    const limits = limitsUnder('ok')
    const right = await limits.reserveLogin('ada', '192.0.2.1')
    await right.succeeded()
    expect(await failureKeys('ok')).toEqual([])
    await limits.reserveLogin('ada', '192.0.2.1')
    expect(await failureKeys('ok')).toHaveLength(3)
    // The owner's success later clears the pair and gives back only its own point.
    const owner = await limits.reserveLogin('ada', '192.0.2.1')
    await owner.succeeded()
    const left = await failureKeys('ok')
    expect(left).toHaveLength(2)
    for (const key of left) {
      expect(await client.get(key)).toBe('1')
      expect(await client.pttl(key)).toBeGreaterThan(0)
    }
  })

  it('a flood the pair limit refuses uses up none of the account budget for strangers', async () => {
    const limits = limitsUnder('flood')
    const results = await Promise.all(
      Array.from({ length: 200 }, () => outcome(limits.reserveLogin('grace', '198.51.100.1'))),
    )
    expect(results.filter((result) => typeof result !== 'string')).toHaveLength(5)
    // The five granted tries are the account's only failures: another address still has
    // LOGIN_MAX_FAILURES_PER_USER minus five.
    const fromElsewhere = await Promise.all(
      Array.from({ length: 5 }, (_, n) =>
        outcome(limits.reserveLogin('grace', `203.0.113.${n + 1}`)),
      ),
    )
    expect(fromElsewhere.every((result) => typeof result !== 'string')).toBe(true)
    expect(await outcome(limits.reserveLogin('grace', '203.0.113.99'))).toBe('rate_limited')
  })

  it('a known device is counted on its own, then as a stranger once it has used up its failures', async () => {
    const limits = limitsUnder('device')
    // Strangers lock the account.
    for (let n = 0; n < 10; n++) await limits.reserveLogin('hopper', `2001:db8:${n}::/64`)
    expect(await outcome(limits.reserveLogin('hopper', '2001:db8:ff::/64'))).toBe('rate_limited')
    const device = { id: 'AAAAAAAAAAAAAAAAAAAAAA' }
    const tries = []
    for (let n = 0; n < 6; n++)
      tries.push(await outcome(limits.reserveLogin('hopper', '2001:db8:ff::/64', device)))
    expect(tries.slice(0, 5).every((result) => typeof result !== 'string')).toBe(true)
    expect(tries[5]).toBe('rate_limited')
  })
})
