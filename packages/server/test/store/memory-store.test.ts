import { describe, expect, it } from 'vitest'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { describeTokenStoreContract } from './contract.js'

function manualClock(start = Date.UTC(2026, 0, 1)) {
  let at = start
  return {
    now: () => at,
    advance: (ms: number) => {
      at += ms
    },
  }
}

describeTokenStoreContract('memory store', () => {
  const clock = manualClock()
  return {
    store: createMemoryStore({ now: clock.now }),
    passTime: async (seconds) => clock.advance(seconds * 1000),
  }
})

describe('memory store', () => {
  it('frees expired sessions, users and windows once its own clock passes their TTL', async () => {
    const clock = manualClock()
    const store = createMemoryStore({ now: clock.now, userTtlSeconds: 60, sweepIntervalMs: 0 })
    const t0 = clock.now()
    await store.createUser({ id: 'u1', username: 'ada', passwordHash: 'h', createdAt: t0 })
    await store.createSession({
      userId: 'u1',
      sessionId: 's1',
      userAgent: null,
      now: t0,
      idleTtlSeconds: 30,
      maxAgeSeconds: 3600,
    })
    clock.advance(31_000)
    // The session is gone even for a caller whose clock lags behind the store's.
    expect(await store.listSessions('u1', t0)).toEqual([])
    expect(await store.findUserByUsername('ada')).not.toBeNull()
    clock.advance(30_000)
    expect(await store.findUserByUsername('ada')).toBeNull()
    expect(await store.findUserById('u1')).toBeNull()
  })

  it('renews a user record when the user logs in', async () => {
    const clock = manualClock()
    const store = createMemoryStore({ now: clock.now, userTtlSeconds: 60 })
    const t0 = clock.now()
    await store.createUser({ id: 'u1', username: 'ada', passwordHash: 'h', createdAt: t0 })
    clock.advance(50_000)
    await store.createSession({
      userId: 'u1',
      sessionId: 's1',
      userAgent: null,
      now: clock.now(),
      idleTtlSeconds: 30,
      maxAgeSeconds: 3600,
    })
    clock.advance(50_000)
    expect((await store.findUserByUsername('ada'))?.id).toBe('u1')
    expect((await store.findUserById('u1'))?.id).toBe('u1')
  })

  it('ends a session at its next rotation once its user record has expired', async () => {
    const clock = manualClock()
    const store = createMemoryStore({ now: clock.now, userTtlSeconds: 60 })
    const t0 = clock.now()
    await store.createUser({ id: 'u1', username: 'ada', passwordHash: 'h', createdAt: t0 })
    await store.createSession({
      userId: 'u1',
      sessionId: 's1',
      userAgent: null,
      now: t0,
      idleTtlSeconds: 3600,
      maxAgeSeconds: 7200,
    })
    const rotation = { userId: 'u1', sessionId: 's1', idleTtlSeconds: 3600, graceSeconds: 10 }
    const first = await store.rotate({ ...rotation, generation: 0, now: t0 })
    expect(first.status === 'rotated' && first.username).toBe('ada')
    clock.advance(61_000)
    const later = clock.now()
    expect(await store.findUserById('u1')).toBeNull()
    expect(await store.rotate({ ...rotation, generation: 1, now: later })).toEqual({
      status: 'invalid',
    })
    expect(await store.getSession('u1', 's1', later)).toBeNull()
  })

  it('names the bad option', () => {
    expect(() => createMemoryStore({ userTtlSeconds: 0 })).toThrow(/userTtlSeconds/)
    expect(() => createMemoryStore({ sweepIntervalMs: -1 })).toThrow(/sweepIntervalMs/)
  })
})
