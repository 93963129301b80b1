import { describe, expect, it } from 'vitest'
import { type AuthEventMap, createAuthEvents } from '../../src/events/auth-events.js'
import { logSecurityEvents } from '../../src/events/security-log.js'
import { createLogger } from '../../src/logger.js'
import { manualClock, setup } from '../support/harness.js'

describe('createAuthEvents', () => {
  it('calls handlers in subscription order, and stops calling an unsubscribed one', () => {
    const events = createAuthEvents()
    const seen: string[] = []
    const offA = events.on('logout', (event) => void seen.push(`a:${event.userId}`))
    events.on('logout', (event) => void seen.push(`b:${event.userId}`))
    const event = { all: false, userId: 'u1', sessionId: 's1', sessions: 1, clientAddress: null }
    events.emit('logout', event)
    offA()
    events.emit('logout', { ...event, userId: 'u2' })
    expect(seen).toEqual(['a:u1', 'b:u1', 'b:u2'])
  })

  it('reports a throwing or rejecting handler and still calls the next ones', async () => {
    const reported: [unknown, string][] = []
    const events = createAuthEvents({
      onHandlerError: (error, name) => reported.push([error, name]),
    })
    const calls: string[] = []
    events.on('storeError', () => {
      throw new Error('sync boom')
    })
    events.on('storeError', async () => {
      throw new Error('async boom')
    })
    events.on('storeError', () => void calls.push('third'))
    expect(() => events.emit('storeError', { operation: 'rotate', error: null })).not.toThrow()
    expect(calls).toEqual(['third'])
    await new Promise((resolve) => setImmediate(resolve))
    expect(reported.map(([error, name]) => [(error as Error).message, name])).toEqual([
      ['sync boom', 'storeError'],
      ['async boom', 'storeError'],
    ])
  })

  it('refuses a handler that is not a function, naming the event', () => {
    const events = createAuthEvents()
    expect(() => events.on('login', 'nope' as never)).toThrow(/events.on\('login'\)/)
  })
})

describe('the events of the token service', () => {
  it('a failing handler of every event never fails the request', async () => {
    const events = createAuthEvents()
    const names: (keyof AuthEventMap)[] = [
      'login',
      'refresh',
      'reuseDetected',
      'logout',
      'sessionEnded',
    ]
    const fired: string[] = []
    for (const name of names) {
      events.on(name, () => {
        fired.push(name)
        throw new Error(`${name} handler is broken`)
      })
      events.on(name, () => Promise.reject(new Error(`${name} webhook is down`)))
    }
    const clock = manualClock()
    const { http, signIn } = setup({ events, reuseGraceSeconds: 0, clock })
    const { pair } = await signIn()
    const next = await http.post('/auth/refresh').send({ refreshToken: pair.refreshToken })
    expect(next.status).toBe(200)
    clock.advance(1)
    const reused = await http.post('/auth/refresh').send({ refreshToken: pair.refreshToken })
    expect(reused.status).toBe(401)
    expect(reused.body.error).toBe('refresh_token_reused')
    const other = await signIn()
    const logout = await http.post('/auth/logout').send({ refreshToken: other.pair.refreshToken })
    expect(logout.status).toBe(204)
    expect(new Set(fired)).toEqual(new Set(names))
  })

  it('emits each event with the ids and client address, never a token', async () => {
    const events = createAuthEvents()
    const seen: { name: string; event: unknown }[] = []
    for (const name of ['login', 'refresh', 'reuseDetected', 'logout', 'sessionEnded'] as const) {
      events.on(name, (event) => void seen.push({ name, event }))
    }
    const clock = manualClock()
    const { http, signIn } = setup({ events, reuseGraceSeconds: 0, trustProxy: true, clock })
    const { pair, userId, username } = await signIn()
    const next = await http
      .post('/auth/refresh')
      .set('X-Forwarded-For', '203.0.113.7')
      .send({ refreshToken: pair.refreshToken })
    clock.advance(1)
    await http
      .post('/auth/refresh')
      .set('X-Forwarded-For', '203.0.113.9')
      .send({ refreshToken: pair.refreshToken })
    // The reuse ended the session, and with it its access tokens: logout-all is refused.
    const logoutAll = await http
      .post('/auth/logout-all')
      .set('Authorization', `Bearer ${next.body.accessToken}`)
      .set('X-Forwarded-For', '203.0.113.7')
    expect(logoutAll.status).toBe(401)
    const sessionId = seen.find((entry) => entry.name === 'login')?.event as { sessionId: string }
    expect(seen).toEqual([
      {
        name: 'login',
        event: expect.objectContaining({
          outcome: 'success',
          username,
          userId,
          sessionId: expect.any(String),
        }),
      },
      {
        name: 'refresh',
        event: {
          outcome: 'rotated',
          userId,
          sessionId: sessionId.sessionId,
          clientAddress: '203.0.113.7',
        },
      },
      {
        name: 'refresh',
        event: {
          outcome: 'reused',
          userId,
          sessionId: sessionId.sessionId,
          clientAddress: '203.0.113.9',
        },
      },
      {
        name: 'reuseDetected',
        event: { userId, sessionId: sessionId.sessionId, clientAddress: '203.0.113.9' },
      },
      {
        name: 'sessionEnded',
        event: {
          reason: 'reuse',
          userId,
          sessionId: sessionId.sessionId,
          count: 1,
          clientAddress: '203.0.113.9',
        },
      },
    ])
    expect(JSON.stringify(seen)).not.toContain(pair.refreshToken)
  })

  it('logs the security events as one warn line each, and nothing for ordinary logins', async () => {
    const lines: Record<string, unknown>[] = []
    const logger = createLogger({
      level: 'info',
      format: 'json',
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    })
    const events = createAuthEvents()
    logSecurityEvents(events, logger)
    events.emit('login', {
      outcome: 'success',
      username: 'ada',
      userId: 'u1',
      sessionId: 's1',
      clientAddress: '::1',
    })
    // A refused try is counted by the metrics, not logged: the lock is logged once.
    events.emit('login', {
      outcome: 'rate_limited',
      username: 'ada',
      userId: null,
      sessionId: null,
      clientAddress: '::1',
    })
    events.emit('loginLocked', {
      username: 'ada',
      userId: 'u1',
      clientAddress: '::1',
      limits: ['login_failures_per_pair'],
    })
    events.emit('sessionEnded', {
      reason: 'evicted',
      userId: 'u1',
      sessionId: 's0',
      count: 1,
      clientAddress: '::1',
    })
    events.emit('sessionEnded', {
      reason: 'logout',
      userId: 'u1',
      sessionId: 's2',
      count: 1,
      clientAddress: '::1',
    })
    events.emit('reuseDetected', { userId: 'u1', sessionId: 's3', clientAddress: '::1' })
    events.emit('logout', {
      all: true,
      userId: 'u1',
      sessionId: 's4',
      sessions: 3,
      clientAddress: '::1',
    })
    events.emit('passwordChanged', {
      userId: 'u1',
      sessionId: 's5',
      sessionsEnded: 2,
      clientAddress: '::1',
    })
    expect(lines.map((line) => [line.level, line.event, line.sessionId])).toEqual([
      ['warn', 'login_locked', null],
      ['warn', 'session_evicted', 's0'],
      ['warn', 'refresh_token_reused', 's3'],
      ['warn', 'logout_all', 's4'],
      ['warn', 'password_changed', 's5'],
    ])
    for (const line of lines) expect(line).toMatchObject({ clientAddress: '::1' })
  })
})
