import { describe, expect, it } from 'vitest'
import type {
  AccessTokenRevocations,
  EndedSessions,
} from '../../src/access-tokens/revocation/types.js'
import { StoreUnavailableError } from '../../src/errors.js'
import { createAuthEvents, type SessionEndedEvent } from '../../src/events/auth-events.js'
import { createEndSessions } from '../../src/sessions/end-sessions.js'

/** Revocations that record what they are told, or fail while `down` is set. */
function recordingRevocations() {
  const recorded: EndedSessions[] = []
  const state = { down: false }
  const revocations: AccessTokenRevocations = {
    async revoke(ended) {
      if (state.down) throw new StoreUnavailableError('revocations unreachable')
      recorded.push(ended)
    },
    assertNotRevoked() {},
    ready: async () => {},
    size: () => ({ sessions: 0, users: 0 }),
    close: async () => {},
  }
  return { revocations, recorded, state }
}

function setup() {
  const { revocations, recorded, state } = recordingRevocations()
  const events = createAuthEvents()
  const ended: SessionEndedEvent[] = []
  events.on('sessionEnded', (event) => {
    ended.push(event)
  })
  const endSessions = createEndSessions({ revocations, events, accessTokenTtlSeconds: 900 })
  return { endSessions, recorded, state, ended }
}

describe('endSessions', () => {
  it('records the sessions, ends them in the store, then emits sessionEnded once', async () => {
    const { endSessions, recorded, ended } = setup()
    const steps: string[] = []
    const result = await endSessions({
      reason: 'logout',
      userId: 'u1',
      sessionIds: ['s1'],
      end: async () => {
        steps.push(`store after ${recorded.length} recorded`)
        return ['s1']
      },
      sessionId: 's1',
      clientAddress: '203.0.113.7',
      announce: () => steps.push(`announced after ${ended.length} sessionEnded`),
    })
    expect(result).toEqual(['s1'])
    expect(steps).toEqual(['store after 1 recorded', 'announced after 0 sessionEnded'])
    expect(recorded).toEqual([{ userId: 'u1', sessionIds: ['s1'] }])
    expect(ended).toEqual([
      {
        reason: 'logout',
        userId: 'u1',
        sessionId: 's1',
        count: 1,
        clientAddress: '203.0.113.7',
      },
    ])
  })

  it('ends nothing in the store when the sessions cannot be recorded first, so no access token outlives its session', async () => {
    const { endSessions, state, ended } = setup()
    state.down = true
    let storeCalled = false
    await expect(
      endSessions({
        reason: 'revoked',
        userId: 'u1',
        sessionIds: ['s1'],
        end: async () => {
          storeCalled = true
          return ['s1']
        },
        sessionId: 's1',
        clientAddress: null,
      }),
    ).rejects.toBeInstanceOf(StoreUnavailableError)
    expect(storeCalled).toBe(false)
    expect(ended).toEqual([])
  })

  it('records the sessions the store ended beyond those recorded first, and emits no event when none ended', async () => {
    const { endSessions, recorded, ended } = setup()
    await endSessions({
      reason: 'logout_all',
      userId: 'u1',
      sessionIds: [],
      notBefore: 1_800_000_000,
      end: async () => ['s1', 's2'],
      sessionId: null,
      clientAddress: null,
    })
    expect(recorded).toEqual([
      { userId: 'u1', sessionIds: [], notBefore: 1_800_000_000 },
      { userId: 'u1', sessionIds: ['s1', 's2'] },
    ])
    expect(ended.map(({ count, sessionId }) => ({ count, sessionId }))).toEqual([
      { count: 2, sessionId: null },
    ])

    await endSessions({
      reason: 'logout',
      userId: 'u1',
      sessionIds: ['gone'],
      end: async () => [],
      sessionId: 'gone',
      clientAddress: null,
    })
    expect(ended).toHaveLength(1)
  })

  it('emits one sessionEnded per evicted session, naming the login that evicted it', async () => {
    const { endSessions, recorded, ended } = setup()
    await endSessions({
      reason: 'evicted',
      userId: 'u1',
      sessionIds: ['old1', 'old2'],
      sessionId: null,
      bySessionId: 'new',
      clientAddress: '::1',
    })
    expect(recorded).toEqual([{ userId: 'u1', sessionIds: ['old1', 'old2'] }])
    expect(
      ended.map(({ sessionId, count, bySessionId }) => ({ sessionId, count, bySessionId })),
    ).toEqual([
      { sessionId: 'old1', count: 1, bySessionId: 'new' },
      { sessionId: 'old2', count: 1, bySessionId: 'new' },
    ])
  })
})
