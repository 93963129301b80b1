import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { createHashQueue } from '../../../src/credentials/hash-queue.js'
import type { UserAdapter } from '../../../src/credentials/users/types.js'
import { createAuthEvents, type LoginOutcome } from '../../../src/events/auth-events.js'
import { setup } from '../../support/harness.js'

/** Users in a Map: the known user's password check takes `checkMs`, an unknown name none. */
function mapUsers(
  checkMs: number,
): UserAdapter & { names: Map<string, { id: string; password: string }> } {
  const names = new Map([['ada', { id: '42', password: 'correct horse battery' }]])
  return {
    names,
    async authenticate(username, password) {
      const user = names.get(username)
      if (user === undefined) return null
      await sleep(checkMs)
      return user.password === password ? { id: user.id, username } : null
    },
    async findById(id) {
      for (const [username, user] of names) if (user.id === id) return { id, username }
      return null
    },
  }
}

describe('a user adapter of your own', () => {
  it('signs in with its ids in sub, refreshes, lists and logs out sessions', async () => {
    const { http } = setup({ users: mapUsers(0) })
    const login = await http
      .post('/auth/login')
      .send({ username: 'ada', password: 'correct horse battery' })
    expect(login.status).toBe(200)
    const me = await http.get('/auth/me').set('Authorization', `Bearer ${login.body.accessToken}`)
    expect(me.body).toEqual({ id: '42', username: 'ada', sessionId: expect.any(String) })
    const next = await http.post('/auth/refresh').send({ refreshToken: login.body.refreshToken })
    expect(next.status).toBe(200)
    const sessions = await http
      .get('/auth/sessions')
      .set('Authorization', `Bearer ${next.body.accessToken}`)
    expect(sessions.body.sessions).toEqual([
      expect.objectContaining({ id: me.body.sessionId, current: true }),
    ])
    await http
      .post('/auth/logout-all')
      .set('Authorization', `Bearer ${next.body.accessToken}`)
      .expect(204)
    const after = await http.post('/auth/refresh').send({ refreshToken: next.body.refreshToken })
    expect(after.status).toBe(401)
  })

  it('has registration off without create: 404 not_found', async () => {
    const { http } = setup({ users: mapUsers(0) })
    const res = await http
      .post('/auth/register')
      .send({ username: 'bob', password: 'correct horse battery' })
    expect(res.status).toBe(404)
    expect(res.body.error).toBe('not_found')
  })

  it('keeps failed logins of unknown users as slow as a password check, whatever the adapter', async () => {
    const { http } = setup({ users: mapUsers(300) })
    await http
      .post('/auth/login')
      .send({ username: 'ada', password: 'correct horse battery' })
      .expect(200)
    const started = performance.now()
    const res = await http
      .post('/auth/login')
      .send({ username: 'nobody', password: 'correct horse battery' })
    expect(res.status).toBe(401)
    // The adapter answered at once; the server held the answer to the success's duration.
    expect(performance.now() - started).toBeGreaterThanOrEqual(250)
  })

  it('counts an adapter failure toward the login limits like any wrong password', async () => {
    const { http } = setup({ users: mapUsers(0), loginMaxFailures: 2 })
    for (const status of [401, 401, 429]) {
      const res = await http
        .post('/auth/login')
        .send({ username: 'ada', password: 'wrong password!' })
      expect(res.status).toBe(status)
    }
  })

  it('reserves the login limits before asking the adapter, and asks it in the bounded hash queue', async () => {
    const users = mapUsers(5)
    let calls = 0
    let running = 0
    let most = 0
    const counted: UserAdapter = {
      ...users,
      async authenticate(username, password) {
        calls++
        running++
        most = Math.max(most, running)
        try {
          return await users.authenticate(username, password)
        } finally {
          running--
        }
      },
    }
    const events = createAuthEvents()
    const outcomes: LoginOutcome[] = []
    const locks: string[] = []
    events.on('login', ({ outcome }) => {
      outcomes.push(outcome)
    })
    events.on('loginLocked', ({ username, limits }) => {
      locks.push(`${username}:${limits.join(',')}`)
    })
    const { http } = setup({
      users: counted,
      events,
      hashQueue: createHashQueue({ concurrency: 2, queueSize: 64 }),
    })
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, n) =>
        http.post('/auth/login').send({ username: 'ada', password: `wrong guess ${n}` }),
      ),
    )
    const statuses = answers.map((res) => res.status)
    // LOGIN_MAX_FAILURES (5) tries reach the adapter; the burst past them is refused first.
    expect(statuses.filter((status) => status === 401)).toHaveLength(5)
    expect(statuses.filter((status) => status === 429)).toHaveLength(25)
    expect(calls).toBe(5)
    expect(most).toBeLessThanOrEqual(2)
    expect(outcomes.filter((outcome) => outcome === 'invalid_credentials')).toHaveLength(5)
    expect(outcomes.filter((outcome) => outcome === 'rate_limited')).toHaveLength(25)
    expect(locks).toEqual(['ada:login_failures_per_pair'])
    const right = await http
      .post('/auth/login')
      .send({ username: 'ada', password: 'correct horse battery' })
    expect(right.status).toBe(429)
    expect(calls).toBe(5)
  })

  it('ends the least recently used session past the bound, as a sessionEnded event', async () => {
    const events = createAuthEvents()
    const ended: { reason: string; userId: string; sessionId: string | null; by?: string }[] = []
    events.on('sessionEnded', ({ reason, userId, sessionId, bySessionId }) => {
      ended.push({
        reason,
        userId,
        sessionId,
        ...(bySessionId === undefined ? {} : { by: bySessionId }),
      })
    })
    const { http, clock } = setup({ users: mapUsers(0), events, maxSessionsPerUser: 1 })
    const credentials = { username: 'ada', password: 'correct horse battery' }
    const first = await http.post('/auth/login').send(credentials).expect(200)
    clock.advance(1)
    const second = await http.post('/auth/login').send(credentials).expect(200)
    const me = async (token: string) =>
      (await http.get('/auth/me').set('Authorization', `Bearer ${token}`)).body
    const [gone, kept] = [await me(first.body.accessToken), await me(second.body.accessToken)]
    expect(gone.error).toBe('invalid_token')
    expect(ended).toEqual([
      { reason: 'evicted', userId: '42', sessionId: expect.any(String), by: kept.sessionId },
    ])
    const refused = await http.post('/auth/refresh').send({ refreshToken: first.body.refreshToken })
    expect(refused.status).toBe(401)
  })
})
