import { describe, expect, it } from 'vitest'
import { createMemoryRevocations } from '../../../src/access-tokens/revocation/memory-revocations.js'
import { createRevocationList } from '../../../src/access-tokens/revocation/revocation-list.js'
import { manualClock } from '../../support/harness.js'

const T0 = Date.UTC(2026, 0, 1)
const iatOf = (ms: number) => Math.floor(ms / 1000)

describe('revocation list', () => {
  it('refuses an ended session until its expiry, then forgets it', () => {
    const clock = manualClock(T0)
    const list = createRevocationList({ clock })
    list.addSession('s1', T0 + 60_000)
    expect(list.isRevoked({ sub: 'u1', sid: 's1', iat: iatOf(T0) })).toBe(true)
    expect(list.isRevoked({ sub: 'u1', sid: 's2', iat: iatOf(T0) })).toBe(false)
    clock.advance(60)
    expect(list.isRevoked({ sub: 'u1', sid: 's1', iat: iatOf(T0) })).toBe(false)
  })

  it("refuses a user's tokens issued in an earlier second than the not-before, not later ones", () => {
    const clock = manualClock(T0 + 500)
    const list = createRevocationList({ clock })
    const notBefore = iatOf(T0)
    list.addUser('u1', notBefore, T0 + 60_000)
    expect(list.isRevoked({ sub: 'u1', sid: 'a', iat: notBefore - 1 })).toBe(true)
    expect(list.isRevoked({ sub: 'u1', sid: 'b', iat: notBefore })).toBe(false)
    expect(list.isRevoked({ sub: 'u2', sid: 'c', iat: notBefore - 1 })).toBe(false)
    // A later logout-all moves the not-before forward, never back.
    list.addUser('u1', notBefore + 10, T0 + 70_000)
    list.addUser('u1', notBefore - 100, T0 + 1000)
    expect(list.isRevoked({ sub: 'u1', sid: 'b', iat: notBefore + 9 })).toBe(true)
  })

  it('holds no more than one lifetime of revocations: expired entries are swept on insertion', () => {
    const clock = manualClock(T0)
    const list = createRevocationList({ clock, sweepIntervalMs: 10_000 })
    for (let i = 0; i < 1000; i++) list.addSession(`old-${i}`, T0 + 60_000)
    list.addUser('u-old', 1, T0 + 60_000)
    expect(list.size()).toEqual({ sessions: 1000, users: 1 })
    clock.advance(61)
    list.addSession('new', T0 + 200_000)
    expect(list.size()).toEqual({ sessions: 1, users: 0 })
  })
})

describe('memory revocations', () => {
  it('keeps a revocation for the access-token lifetime plus the clock tolerance', async () => {
    const clock = manualClock(T0)
    const revocations = createMemoryRevocations({
      accessTokenTtlSeconds: 60,
      clockToleranceSeconds: 5,
      clock,
    })
    await revocations.revoke({ userId: 'u1', sessionIds: ['s1'] })
    const claims = { sub: 'u1', sid: 's1', iat: iatOf(T0) }
    expect(() => revocations.assertNotRevoked(claims)).toThrow(
      /session of this access token has ended/,
    )
    clock.advance(64)
    expect(() => revocations.assertNotRevoked(claims)).toThrow()
    clock.advance(1)
    expect(() => revocations.assertNotRevoked(claims)).not.toThrow()
  })

  it('refuses bad lifetimes at construction, naming the option', () => {
    expect(() =>
      createMemoryRevocations({ accessTokenTtlSeconds: 0, clockToleranceSeconds: 5 }),
    ).toThrow(/accessTokenTtlSeconds/)
    expect(() =>
      createMemoryRevocations({ accessTokenTtlSeconds: 900, clockToleranceSeconds: -1 }),
    ).toThrow(/clockToleranceSeconds/)
  })
})
