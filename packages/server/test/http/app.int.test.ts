import { MAX_BODY_BYTES } from '@refresh-kit/shared'
import { useTestRedis } from '@refresh-kit/testing'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import {
  createAbuseLimits,
  DEFAULT_ABUSE_LIMIT_RULES,
} from '../../src/credentials/limits/abuse-limits.js'
import { createPasswordPolicy } from '../../src/credentials/password-strength.js'
import { createApp } from '../../src/http/app.js'
import { createRedisStore } from '../../src/store/redis-store.js'
import { setup } from '../support/harness.js'

const redis = useTestRedis('app')
const onRedis = (options: Parameters<typeof setup>[0] = {}) =>
  setup({
    // The tests move the app's injected clock: the store decides with it, not with Redis's.
    store: createRedisStore({ redis: redis.client(), keyPrefix: redis.keyPrefix, clock: 'caller' }),
    ...options,
  })

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })
const errorBody = (error: string) => ({ error, message: expect.any(String) })
const uniqueName = () => `u${Math.random().toString(36).slice(2, 12)}`

describe('POST /auth/register', () => {
  const { http } = onRedis()

  it('201 with the public user, no-store and a request id', async () => {
    const username = uniqueName()
    const res = await http
      .post('/auth/register')
      .send({ username, password: 'correct horse battery' })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({
      user: { id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), username },
    })
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('409 user_exists for a taken username', async () => {
    const username = uniqueName()
    await http
      .post('/auth/register')
      .send({ username, password: 'correct horse battery' })
      .expect(201)
    const res = await http
      .post('/auth/register')
      .send({ username, password: 'another horse battery' })
    expect(res.status).toBe(409)
    expect(res.body).toEqual(errorBody('user_exists'))
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('400 invalid_request with details for each field out of bounds', async () => {
    const cases: [unknown, string[]][] = [
      [{}, ['username', 'password']],
      [{ username: 'ab', password: 'correct horse battery' }, ['username']],
      [{ username: 'x'.repeat(65), password: 'correct horse battery' }, ['username']],
      [{ username: 'has space', password: 'correct horse battery' }, ['username']],
      [{ username: 'ada', password: 'short' }, ['password']],
      [{ username: 'ada', password: 'p'.repeat(1025) }, ['password']],
      [{ username: 42, password: ['correct horse battery'] }, ['username', 'password']],
    ]
    for (const [body, fields] of cases) {
      const res = await http.post('/auth/register').send(body as object)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.error).toBe('invalid_request')
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(fields)
    }
  })

  it('accepts the bounds themselves', async () => {
    const username = `a.b_c@d-${uniqueName()}`.slice(0, 64)
    const password = Array.from({ length: 64 }, (_, i) => `q7#Vb${i.toString(36)}Zx!k9mPw2ab`)
      .join('')
      .slice(0, 1024)
    expect(password).toHaveLength(1024)
    const res = await http.post('/auth/register').send({ username, password })
    expect(res.status).toBe(201)
    // No eight characters reach the default strength; the bound itself is what is checked.
    const lenient = onRedis({ passwordPolicy: createPasswordPolicy({ minScore: 0, minLength: 8 }) })
    expect(
      (await lenient.http.post('/auth/register').send({ username: 'abc', password: '12345678' }))
        .status,
    ).toBeOneOf([201, 409])
  })
})

describe('request bodies', () => {
  const { http } = onRedis()

  it('400 for malformed JSON, and for JSON that is not an object', async () => {
    for (const raw of ['{"username":', '[]', '"text"', '42', 'null', '{"__proto__":{"x":1}}']) {
      const res = await http.post('/auth/login').set('Content-Type', 'application/json').send(raw)
      expect(res.status, raw).toBe(400)
      expect(res.body).toEqual(errorBody('invalid_request'))
    }
  })

  it('413 payload_too_large over 16 KiB, with the JSON error body', async () => {
    const res = await http
      .post('/auth/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ username: 'ada', password: 'p'.repeat(MAX_BODY_BYTES) }))
    expect(res.status).toBe(413)
    expect(res.body).toEqual(errorBody('payload_too_large'))
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('accepts a body of exactly 16 KiB', async () => {
    const filler = 'p'.repeat(
      MAX_BODY_BYTES - JSON.stringify({ username: 'a', password: 'x', pad: '' }).length,
    )
    const body = JSON.stringify({ username: 'a', password: 'x', pad: filler })
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES)
    const res = await http.post('/auth/login').set('Content-Type', 'application/json').send(body)
    expect(res.status).toBe(400) // the username is too short: the body itself was accepted
    expect(res.body.details).toEqual([{ field: 'username', problem: expect.any(String) }])
  })

  it('415 unsupported_media_type for a body of another content type', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await http
        .post('/auth/login')
        .set('Content-Type', type)
        .send('username=ada&password=x')
      expect(res.status, type).toBe(415)
      expect(res.body).toEqual(errorBody('unsupported_media_type'))
    }
  })

  it('a broken or unknown Content-Encoding is a 4xx, never a 500', async () => {
    const gzip = await http
      .post('/auth/login')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send('not gzip at all')
    expect(gzip.status).toBe(400)
    expect(gzip.body).toEqual(errorBody('invalid_request'))
    const unknown = await http
      .post('/auth/login')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'x-weird')
      .send('{}')
    expect(unknown.status).toBe(415)
    expect(unknown.body).toEqual(errorBody('unsupported_media_type'))
  })
})

describe('POST /auth/login', () => {
  const { http, signIn } = onRedis()

  it('200 with a TokenResponse', async () => {
    const username = uniqueName()
    await http
      .post('/auth/register')
      .send({ username, password: 'correct horse battery' })
      .expect(201)
    const res = await http.post('/auth/login').send({ username, password: 'correct horse battery' })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      refreshToken: expect.stringMatching(/^rk1\./),
      tokenType: 'Bearer',
      expiresIn: 900,
      refreshExpiresIn: 604_800,
      deviceToken: expect.stringMatching(/^rkd1\./),
    })
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('401 invalid_credentials, the same body for an unknown user and a wrong password', async () => {
    const { username } = await signIn()
    const wrong = await http.post('/auth/login').send({ username, password: 'wrong password' })
    const unknown = await http
      .post('/auth/login')
      .send({ username: uniqueName(), password: 'wrong password' })
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    expect(wrong.body).toEqual({ error: 'invalid_credentials', message: expect.any(String) })
    expect(unknown.body).toEqual(wrong.body)
  })
})

describe('failed-login limits', () => {
  const client = redis.client()
  const { http, signIn, clock } = onRedis({
    trustProxy: true,
    limits: createAbuseLimits({
      redis: client,
      keyPrefix: redis.keyPrefix,
      rules: {
        ...DEFAULT_ABUSE_LIMIT_RULES,
        loginFailuresPerAddress: { points: 8, durationSeconds: 3600 },
        // Each login of a user reserves a failure of the user before its password is checked:
        // room for the 50 logins of one user in flight at once below.
        loginFailuresPerUser: { points: 50, durationSeconds: 900 },
        registrationsPerAddress: { points: 0, durationSeconds: 3600 },
      },
    }),
  })
  const from = (address: string) => ({ 'X-Forwarded-For': address })

  it('429 rate_limited with Retry-After after 5 failures of one (username, address), even with the right password', async () => {
    const { username, password } = await signIn()
    for (let i = 0; i < 5; i += 1) {
      const res = await http
        .post('/auth/login')
        .set(from('10.1.0.1'))
        .send({ username, password: 'wrong password' })
      expect(res.status).toBe(401)
    }
    const res = await http.post('/auth/login').set(from('10.1.0.1')).send({ username, password })
    expect(res.status).toBe(429)
    expect(res.body).toEqual(errorBody('rate_limited'))
    const retryAfter = Number(res.headers['retry-after'])
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(900)
    // No lockout by strangers: an address that has not failed still logs in.
    await http.post('/auth/login').set(from('10.1.0.2')).send({ username, password }).expect(200)
  })

  it('429 after LOGIN_MAX_FAILURES_PER_ADDRESS failures from one client address, across usernames', async () => {
    const { username, password } = await signIn()
    for (let i = 0; i < 8; i += 1) {
      await http
        .post('/auth/login')
        .set(from('10.2.0.1'))
        .send({ username: uniqueName(), password: 'wrong password' })
        .expect(401)
    }
    const blocked = await http
      .post('/auth/login')
      .set(from('10.2.0.1'))
      .send({ username, password })
    expect(blocked.status).toBe(429)
    expect(blocked.headers['retry-after']).toMatch(/^\d+$/)
    const elsewhere = await http
      .post('/auth/login')
      .set(from('10.2.0.2'))
      .send({ username, password })
    expect(elsewhere.status).toBe(200)
  })

  it("a success clears the pair's counter", async () => {
    const { username, password } = await signIn()
    // Without the clearing, the second round would make 6 failures of the pair.
    for (let round = 0; round < 2; round += 1) {
      for (let i = 0; i < 3; i += 1) {
        await http
          .post('/auth/login')
          .set(from('10.3.0.1'))
          .send({ username, password: 'wrong password' })
          .expect(401)
      }
      await http.post('/auth/login').set(from('10.3.0.1')).send({ username, password }).expect(200)
    }
  })

  it('50 parallel logins of one user all succeed; with the sign-in, the least recently used session ends', async () => {
    const { username, password, pair } = await signIn()
    clock.advance(1)
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        http
          .post('/auth/login')
          .set(from(`10.4.0.${i}`))
          .send({ username, password }),
      ),
    )
    expect(results.map((res) => res.status)).toEqual(Array(50).fill(200))
    expect(new Set(results.map((res) => res.body.refreshToken)).size).toBe(50)
    const sessions = await http.get('/auth/sessions').set(bearer(results[0]?.body.accessToken))
    expect(sessions.body.sessions).toHaveLength(50)
    await http.post('/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(401)
  })
})

describe('POST /auth/refresh and /auth/logout', () => {
  const { http, signIn } = onRedis()

  it('refresh rotates the pair', async () => {
    const { pair } = await signIn()
    const res = await http.post('/auth/refresh').send({ refreshToken: pair.refreshToken })
    expect(res.status).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.body.refreshToken).not.toBe(pair.refreshToken)
    expect(res.body.refreshToken).toMatch(/\.1\.[\w-]{43}$/)
    expect(res.body.tokenType).toBe('Bearer')
  })

  it('400 for a missing, ill-typed or overlong refreshToken; 401 invalid_refresh_token for a malformed one', async () => {
    for (const body of [
      {},
      { refreshToken: 42 },
      { refreshToken: '' },
      { refreshToken: 'x'.repeat(513) },
    ]) {
      const res = await http.post('/auth/refresh').send(body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.details[0].field).toBe('refreshToken')
    }
    const res = await http.post('/auth/refresh').send({ refreshToken: 'not-a-token' })
    expect(res.status).toBe(401)
    expect(res.body).toEqual(errorBody('invalid_refresh_token'))
  })

  it('an access token presented as a refresh token is invalid_refresh_token', async () => {
    const { pair } = await signIn()
    const res = await http.post('/auth/refresh').send({ refreshToken: pair.accessToken })
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_refresh_token')
  })

  it('logout revokes the session: 204, then the refresh token is refused', async () => {
    const { pair } = await signIn()
    const out = await http.post('/auth/logout').send({ refreshToken: pair.refreshToken })
    expect(out.status).toBe(204)
    expect(out.headers['cache-control']).toBe('no-store')
    const res = await http.post('/auth/refresh').send({ refreshToken: pair.refreshToken })
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('invalid_refresh_token')
  })

  it('logout answers 204 for an unknown, malformed or already revoked token (RFC 7009)', async () => {
    const { pair } = await signIn()
    await http.post('/auth/logout').send({ refreshToken: pair.refreshToken }).expect(204)
    await http.post('/auth/logout').send({ refreshToken: pair.refreshToken }).expect(204)
    await http.post('/auth/logout').send({ refreshToken: 'garbage' }).expect(204)
    const res = await http.post('/auth/logout').send({})
    expect(res.status).toBe(400)
  })
})

describe('protected routes', () => {
  const { http, signIn, clock } = onRedis()

  it('GET /auth/me answers from the access token', async () => {
    const { pair, username, userId } = await signIn()
    const res = await http.get('/auth/me').set(bearer(pair.accessToken))
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      id: userId,
      username,
      sessionId: expect.stringMatching(/^[\w-]{22}$/),
    })
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('401 missing_token with a bare challenge, for no header, another scheme or an empty bearer', async () => {
    for (const header of [undefined, 'Basic YWRhOnB3', 'Bearer', 'Bearer   ']) {
      const req = http.get('/auth/me')
      const res = await (header === undefined ? req : req.set('Authorization', header))
      expect(res.status, String(header)).toBe(401)
      expect(res.body, String(header)).toEqual(errorBody('missing_token'))
      expect(res.headers['www-authenticate']).toBe('Bearer realm="refresh-kit"')
      expect(res.headers['cache-control']).toBe('no-store')
    }
  })

  it('401 invalid_token with an RFC 6750 challenge for a bad token, and for a refresh token as bearer', async () => {
    const { pair } = await signIn()
    for (const token of ['not.a.jwt', pair.refreshToken, `${pair.accessToken}x`]) {
      const res = await http.get('/auth/me').set(bearer(token))
      expect(res.status).toBe(401)
      expect(res.body).toEqual(errorBody('invalid_token'))
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="refresh-kit", error="invalid_token", error_description="[^"\\]+"$/,
      )
    }
  })

  it('401 token_expired past exp plus the clock tolerance', async () => {
    const { pair } = await signIn()
    clock.advance(900 + 4)
    await http.get('/auth/me').set(bearer(pair.accessToken)).expect(200)
    clock.advance(2)
    const res = await http.get('/auth/me').set(bearer(pair.accessToken))
    expect(res.status).toBe(401)
    expect(res.body).toEqual(errorBody('token_expired'))
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"')
  })

  it('GET /auth/sessions lists the live sessions with the current one marked', async () => {
    const { username, password } = await signIn()
    const first = await http
      .post('/auth/login')
      .set('User-Agent', 'Browser A')
      .send({ username, password })
    const second = await http
      .post('/auth/login')
      .set('User-Agent', 'Browser B')
      .send({ username, password })
    const res = await http.get('/auth/sessions').set(bearer(second.body.accessToken))
    expect(res.status).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.body.sessions).toHaveLength(3)
    const current = res.body.sessions.filter((s: { current: boolean }) => s.current)
    expect(current).toEqual([
      {
        id: expect.any(String),
        createdAt: new Date(clock()).toISOString(),
        lastUsedAt: new Date(clock()).toISOString(),
        userAgent: 'Browser B',
        current: true,
      },
    ])
    const me = await http.get('/auth/me').set(bearer(second.body.accessToken))
    expect(current[0].id).toBe(me.body.sessionId)
    expect(res.body.sessions.map((s: { userAgent: string | null }) => s.userAgent)).toContain(
      'Browser A',
    )
    expect(first.status).toBe(200)
  })

  it("DELETE /auth/sessions/:id revokes one session; 404 for an unknown one or another user's", async () => {
    const alice = await signIn()
    const bob = await signIn()
    const bobSession = (await http.get('/auth/me').set(bearer(bob.pair.accessToken))).body.sessionId
    const theft = await http
      .delete(`/auth/sessions/${bobSession}`)
      .set(bearer(alice.pair.accessToken))
    expect(theft.status).toBe(404)
    expect(theft.body).toEqual(errorBody('not_found'))
    await http.post('/auth/refresh').send({ refreshToken: bob.pair.refreshToken }).expect(200)

    const unknown = await http
      .delete('/auth/sessions/AAAAAAAAAAAAAAAAAAAAAA')
      .set(bearer(alice.pair.accessToken))
    expect(unknown.status).toBe(404)

    const own = (await http.get('/auth/me').set(bearer(alice.pair.accessToken))).body.sessionId
    const res = await http.delete(`/auth/sessions/${own}`).set(bearer(alice.pair.accessToken))
    expect(res.status).toBe(204)
    const refresh = await http.post('/auth/refresh').send({ refreshToken: alice.pair.refreshToken })
    expect(refresh.body.error).toBe('invalid_refresh_token')
    const missing = await http.delete(`/auth/sessions/${own}`)
    expect(missing.status).toBe(401)
  })

  it('POST /auth/logout-all revokes every session of the user, and only theirs', async () => {
    const { username, password, pair } = await signIn()
    const other = await http.post('/auth/login').send({ username, password })
    const stranger = await signIn()
    const res = await http.post('/auth/logout-all').set(bearer(pair.accessToken))
    expect(res.status).toBe(204)
    expect(res.headers['cache-control']).toBe('no-store')
    for (const token of [pair.refreshToken, other.body.refreshToken]) {
      const refresh = await http.post('/auth/refresh').send({ refreshToken: token })
      expect(refresh.body.error).toBe('invalid_refresh_token')
    }
    await http.post('/auth/refresh').send({ refreshToken: stranger.pair.refreshToken }).expect(200)
    const anonymous = await http.post('/auth/logout-all')
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.error).toBe('missing_token')
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="refresh-kit"')
  })
})

describe('routing, health and headers', () => {
  const { http } = onRedis({ corsOrigins: ['http://localhost:5173'] })

  it('404 not_found for an unknown path, JSON body', async () => {
    const res = await http.get('/nope')
    expect(res.status).toBe(404)
    expect(res.body).toEqual(errorBody('not_found'))
    const auth = await http.post('/auth/nope').send({})
    expect(auth.status).toBe(404)
    expect(auth.headers['cache-control']).toBe('no-store')
  })

  it('405 method_not_allowed with Allow for a known path', async () => {
    const login = await http.get('/auth/login')
    expect(login.status).toBe(405)
    expect(login.body).toEqual(errorBody('method_not_allowed'))
    expect(login.headers.allow).toBe('POST')
    const me = await http.post('/auth/me').send({})
    expect(me.status).toBe(405)
    expect(me.headers.allow).toBe('HEAD, GET')
    const session = await http.put('/auth/sessions/abc').send({})
    expect(session.status).toBe(405)
    expect(session.headers.allow).toBe('DELETE')
  })

  it('GET /.well-known/jwks.json is 404 while only HS256 is configured', async () => {
    const res = await http.get('/.well-known/jwks.json')
    expect(res.status).toBe(404)
    expect(res.body).toEqual(errorBody('not_found'))
  })

  it('/healthz and /readyz answer 200 { status: "ok" }, without no-store', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const res = await http.get(path)
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ status: 'ok' })
      expect(res.headers['cache-control']).toBeUndefined()
    }
  })

  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    const sane = await http.get('/healthz').set('X-Request-Id', 'trace-0123456789')
    expect(sane.headers['x-request-id']).toBe('trace-0123456789')
    const unsafe = await http.get('/healthz').set('X-Request-Id', 'bad id\twith "quotes"')
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    // The contract's pattern: ^[A-Za-z0-9._-]{1,64}$
    expect((await http.get('/healthz').set('X-Request-Id', 'a')).headers['x-request-id']).toBe('a')
    for (const refused of ['x'.repeat(65), 'trace:0123', 'trace/0123']) {
      const res = await http.get('/healthz').set('X-Request-Id', refused)
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    }
  })

  it('answers a credentialed CORS preflight from an allowed origin, the transport header allowed', async () => {
    const res = await http
      .options('/auth/refresh')
      .set('Origin', 'http://localhost:5173')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type, x-refresh-token-transport')
    expect(res.status).toBe(204)
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173')
    expect(res.headers['access-control-allow-headers']?.split(',')).toEqual([
      'Authorization',
      'Content-Type',
      'X-Request-Id',
      'X-Refresh-Token-Transport',
    ])
    expect(res.headers['access-control-allow-methods']).toContain('POST')
    expect(res.headers['access-control-allow-credentials']).toBe('true')
  })

  it('exposes Retry-After and X-Request-Id to an allowed origin, also on errors', async () => {
    const res = await http.get('/auth/me').set('Origin', 'http://localhost:5173')
    expect(res.status).toBe(401)
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173')
    expect(res.headers['access-control-expose-headers']?.split(',')).toEqual([
      'Retry-After',
      'X-Request-Id',
      'WWW-Authenticate',
    ])
    expect(res.headers['access-control-allow-credentials']).toBe('true')
    expect(res.headers.vary).toContain('Origin')
  })

  it('gives no CORS headers to another origin', async () => {
    const res = await http
      .options('/auth/refresh')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST')
    const get = await http.get('/healthz').set('Origin', 'https://evil.example')
    for (const answer of [res, get]) {
      expect(
        Object.keys(answer.headers).filter((name) => name.startsWith('access-control-')),
      ).toEqual([])
    }
  })
})

describe('500 internal_error', () => {
  it('hides the error, reports it with app.emit, and keeps the request id', async () => {
    const { tokens, store } = onRedis()
    const failing = {
      ...tokens,
      login: () => Promise.reject(new Error('secret detail: ECONNRESET at line 42')),
    }
    const app = createApp({ auth: failing, store })
    const reported: unknown[] = []
    app.on('error', (error: unknown) => reported.push(error))
    const res = await request(app.callback())
      .post('/auth/login')
      .set('X-Request-Id', 'req-500-0001')
      .send({ username: 'ada', password: 'correct horse battery' })
    expect(res.status).toBe(500)
    expect(res.body).toEqual({ error: 'internal_error', message: expect.any(String) })
    expect(res.text).not.toContain('secret detail')
    expect(res.text).not.toContain('ECONNRESET')
    expect(res.headers['x-request-id']).toBe('req-500-0001')
    expect(res.headers['cache-control']).toBe('no-store')
    expect(reported).toHaveLength(1)
    expect((reported[0] as Error).message).toContain('secret detail')
  })
})
