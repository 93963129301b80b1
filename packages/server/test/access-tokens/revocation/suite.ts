import { afterAll, expect, it } from 'vitest'
import {
  type Instance,
  type InstanceFactoryOptions,
  instanceFactory,
  login,
  me,
  refusedWithin,
  register,
} from './instances.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The revocation behaviour every topology must show, with two instances A and B on one
 * Redis: declared inside a `describe` of the calling test file.
 */
export function revocationAcrossInstances(options: InstanceFactoryOptions): void {
  const instances = instanceFactory(options)
  let a: Instance
  let b: Instance
  const both = () => [a, b] as const
  afterAll(() => instances.stopAll())

  it('starts two instances on the same Redis', async () => {
    a = await instances.start('A')
    b = await instances.start('B')
    expect(a.server.revocations).not.toBe(b.server.revocations)
  })

  it("after a logout on A, the session's access token is refused on A at once and on B promptly", async () => {
    const user = await register(a)
    const pair = await login(a, user)
    for (const instance of both()) expect((await me(instance, pair.accessToken)).status).toBe(200)
    expect(
      (await a.http.post('/auth/logout').send({ refreshToken: pair.refreshToken })).status,
    ).toBe(204)
    const onA = await me(a, pair.accessToken)
    expect(onA).toMatchObject({ status: 401, error: 'invalid_token' })
    expect(onA.challenge).toBe(
      'Bearer realm="refresh-kit", error="invalid_token", error_description="the session of this access token has ended"',
    )
    await refusedWithin(b, pair.accessToken)
  })

  it("logout-all on A ends every access token of the user on A and B, and no one else's", async () => {
    const user = await register(a)
    const other = await register(b)
    const first = await login(a, user)
    const second = await login(b, user)
    const bystander = await login(b, other)
    const res = await a.http
      .post('/auth/logout-all')
      .set('Authorization', `Bearer ${first.accessToken}`)
    expect(res.status).toBe(204)
    for (const instance of both()) {
      await refusedWithin(instance, first.accessToken)
      await refusedWithin(instance, second.accessToken)
      expect((await me(instance, bystander.accessToken)).status).toBe(200)
    }
    // A login right after, in the same second as the logout-all, is a new session that works.
    const again = await login(b, user)
    for (const instance of both()) expect((await me(instance, again.accessToken)).status).toBe(200)
  })

  it("reuse detection ends both the thief's and the victim's access tokens, on both instances", async () => {
    const user = await register(a)
    const issued = await login(a, user)
    // The victim rotates on A; a thief who copied that new refresh token rotates it on B first.
    const victim = (await a.http.post('/auth/refresh').send({ refreshToken: issued.refreshToken }))
      .body
    await sleep(5)
    const thief = (await b.http.post('/auth/refresh').send({ refreshToken: victim.refreshToken }))
      .body
    expect(typeof thief.accessToken).toBe('string')
    for (const instance of both()) expect((await me(instance, thief.accessToken)).status).toBe(200)
    await sleep(5)
    // The victim's client presents the token the thief already rotated: reuse, on A.
    const reused = await a.http.post('/auth/refresh').send({ refreshToken: victim.refreshToken })
    expect(reused.body.error).toBe('refresh_token_reused')
    for (const instance of both()) {
      await refusedWithin(instance, thief.accessToken)
      await refusedWithin(instance, victim.accessToken)
      await refusedWithin(instance, issued.accessToken)
    }
  })

  it("DELETE /auth/sessions/:id on B ends that session's access token on A, not the caller's", async () => {
    const user = await register(a)
    const kept = await login(a, user)
    const ended = await login(a, user)
    const endedId = (
      await a.http.get('/auth/me').set('Authorization', `Bearer ${ended.accessToken}`)
    ).body.sessionId as string
    const res = await b.http
      .delete(`/auth/sessions/${endedId}`)
      .set('Authorization', `Bearer ${kept.accessToken}`)
    expect(res.status).toBe(204)
    await refusedWithin(a, ended.accessToken)
    expect((await me(a, kept.accessToken)).status).toBe(200)
  })

  it('a third instance started after the revocation refuses the token from its first request', async () => {
    const user = await register(a)
    const pair = await login(a, user)
    expect(
      (await a.http.post('/auth/logout').send({ refreshToken: pair.refreshToken })).status,
    ).toBe(204)
    const c = await instances.start('C')
    expect(await me(c, pair.accessToken)).toMatchObject({ status: 401, error: 'invalid_token' })
    const fresh = await login(c, user)
    expect((await me(c, fresh.accessToken)).status).toBe(200)
  })

  it("a password change on B ends the user's other sessions on A, and keeps the current one", async () => {
    const user = await register(a)
    const current = await login(b, user)
    const otherSession = await login(a, user)
    const res = await b.http
      .post('/auth/password')
      .set('Authorization', `Bearer ${current.accessToken}`)
      .send({ currentPassword: user.password, newPassword: 'a brand new horse battery' })
    expect(res.status, res.text).toBe(204)
    for (const instance of both()) {
      await refusedWithin(instance, otherSession.accessToken)
      expect((await me(instance, current.accessToken)).status).toBe(200)
    }
    const refreshed = await a.http
      .post('/auth/refresh')
      .send({ refreshToken: otherSession.refreshToken })
    expect(refreshed.body.error).toBe('invalid_refresh_token')
    expect(
      (await a.http.post('/auth/refresh').send({ refreshToken: current.refreshToken })).status,
    ).toBe(200)
  })
}
