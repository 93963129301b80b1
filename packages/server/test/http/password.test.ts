import { describe, expect, it } from 'vitest'
import { createPasswordPolicy } from '../../src/credentials/password-strength.js'
import { setup } from '../support/harness.js'

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })

describe('registration refuses common and guessable passwords', () => {
  const { http } = setup()

  it.each([
    ['passwordpassword', /repeats/],
    ['123456789012345', /commonly used/],
    ['refreshkit123456', /name of this service/],
  ])('400 invalid_request for %s, with a details entry saying why', async (password, reason) => {
    const res = await http.post('/auth/register').send({ username: 'strength-test', password })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    expect(res.body.details).toEqual([
      { field: 'password', problem: expect.stringMatching(reason) },
    ])
    expect(res.body.message).toMatch(/^password /)
  })

  it('400 for a password built on the username itself', async () => {
    const res = await http
      .post('/auth/register')
      .send({ username: 'margaret.h', password: 'margaret.h20242024' })
    expect(res.status).toBe(400)
    expect(res.body.details[0].field).toBe('password')
  })

  it('201 for a strong password', async () => {
    const res = await http
      .post('/auth/register')
      .send({ username: 'strong-one', password: 'violet tractor orbit 42' })
    expect(res.status).toBe(201)
  })

  it('PASSWORD_MIN_SCORE 0 turns the check off', async () => {
    const lenient = setup({ passwordPolicy: createPasswordPolicy({ minScore: 0, minLength: 15 }) })
    const res = await lenient.http
      .post('/auth/register')
      .send({ username: 'lenient', password: 'passwordpassword' })
    expect(res.status).toBe(201)
  })
})

describe('PASSWORD_MIN_LENGTH: new passwords only', () => {
  it('400 for a new password under the minimum, counted in characters; a login with a shorter, older password still works', async () => {
    const { http, store } = setup()
    const short = await http
      .post('/auth/register')
      .send({ username: 'too-short', password: 'Vx9#qLm2!pRt7z' })
    expect(short.status).toBe(400)
    expect(short.body).toMatchObject({
      error: 'invalid_request',
      details: [{ field: 'password', problem: 'must be at least 15 characters' }],
    })
    // An account from before the policy, with an eight-character password.
    const lenient = setup({
      store,
      passwordPolicy: createPasswordPolicy({ minScore: 0, minLength: 8 }),
    })
    await lenient.http
      .post('/auth/register')
      .send({ username: 'old-account', password: 'Vx9#qLm2' })
      .expect(201)
    const login = await http
      .post('/auth/login')
      .send({ username: 'old-account', password: 'Vx9#qLm2' })
    expect(login.status).toBe(200)
    // Changing it is held to today's minimum.
    const change = await http
      .post('/auth/password')
      .set(bearer(login.body.accessToken))
      .send({ currentPassword: 'Vx9#qLm2', newPassword: 'Qz8!wK3#' })
    expect(change.status).toBe(400)
    expect(change.body.details).toEqual([
      { field: 'newPassword', problem: 'must be at least 15 characters' },
    ])
  })
})

describe('POST /auth/password', () => {
  const newPassword = 'a brand new horse battery'

  it('204: the old password is refused, the new one accepted, other sessions end and the current one stays', async () => {
    const { http, signIn } = setup()
    const { username, password, pair: current } = await signIn()
    const other = (await http.post('/auth/login').send({ username, password })).body
    const res = await http
      .post('/auth/password')
      .set(bearer(current.accessToken))
      .send({ currentPassword: password, newPassword })
    expect(res.status).toBe(204)

    expect((await http.post('/auth/login').send({ username, password })).body.error).toBe(
      'invalid_credentials',
    )
    expect((await http.post('/auth/login').send({ username, password: newPassword })).status).toBe(
      200,
    )
    // The other session: both its tokens are dead.
    const otherMe = await http.get('/auth/me').set(bearer(other.accessToken))
    expect(otherMe.status).toBe(401)
    expect(otherMe.body.message).toMatch(/session .* ended/)
    expect(
      (await http.post('/auth/refresh').send({ refreshToken: other.refreshToken })).body.error,
    ).toBe('invalid_refresh_token')
    // The current session: alive, and it keeps rotating.
    expect((await http.get('/auth/me').set(bearer(current.accessToken))).status).toBe(200)
    expect(
      (await http.post('/auth/refresh').send({ refreshToken: current.refreshToken })).status,
    ).toBe(200)
  })

  it('401 invalid_credentials for a wrong current password, counted as a failed login', async () => {
    const { http, signIn } = setup({ loginMaxFailures: 3 })
    const { username, password, pair } = await signIn()
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await http
        .post('/auth/password')
        .set(bearer(pair.accessToken))
        .send({ currentPassword: 'not the password', newPassword })
      expect(res.status).toBe(401)
      expect(res.body.error).toBe('invalid_credentials')
    }
    // The failures count toward the login limit: even the right password is now refused.
    const change = await http
      .post('/auth/password')
      .set(bearer(pair.accessToken))
      .send({ currentPassword: password, newPassword })
    expect(change.status).toBe(429)
    expect(change.headers['retry-after']).toMatch(/^\d+$/)
    const loginAttempt = await http.post('/auth/login').send({ username, password })
    expect(loginAttempt.status).toBe(429)
    // Nothing was changed by the refused attempts.
    expect((await http.get('/auth/me').set(bearer(pair.accessToken))).status).toBe(200)
  })

  it('a burst of parallel wrong guesses verifies no more than the limit', async () => {
    const { http, signIn } = setup({ loginMaxFailures: 5 })
    const { pair } = await signIn()
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        http
          .post('/auth/password')
          .set(bearer(pair.accessToken))
          .send({ currentPassword: 'a wrong guess', newPassword }),
      ),
    )
    const statuses = answers.map((res) => res.status)
    expect(statuses.every((status) => status === 401 || status === 429)).toBe(true)
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5)
  })

  it('400 with a details entry for a guessable new password, and nothing changes', async () => {
    const { http, signIn } = setup()
    const { username, password, pair } = await signIn()
    const res = await http
      .post('/auth/password')
      .set(bearer(pair.accessToken))
      .send({ currentPassword: password, newPassword: 'passwordpassword' })
    expect(res.status).toBe(400)
    expect(res.body.details).toEqual([{ field: 'newPassword', problem: expect.any(String) }])
    expect((await http.post('/auth/login').send({ username, password })).status).toBe(200)
  })

  it('400 for missing or ill-typed fields, 401 missing_token without a bearer', async () => {
    const { http, signIn } = setup()
    const { pair } = await signIn()
    const bad = await http
      .post('/auth/password')
      .set(bearer(pair.accessToken))
      .send({ currentPassword: 42 })
    expect(bad.status).toBe(400)
    expect(bad.body.details.map((d: { field: string }) => d.field)).toEqual([
      'currentPassword',
      'newPassword',
    ])
    const anonymous = await http
      .post('/auth/password')
      .send({ currentPassword: 'x'.repeat(8), newPassword })
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.error).toBe('missing_token')
  })
})
