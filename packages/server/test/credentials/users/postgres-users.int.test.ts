import { decodeJwtPayload } from '@refresh-kit/shared'
import { useTestRedis } from '@refresh-kit/testing'
import Koa from 'koa'
import pg from 'pg'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createTokenKeys } from '../../../src/access-tokens/keys.js'
import { createAuthService } from '../../../src/auth-service.js'
import {
  type AbuseLimitRules,
  createAbuseLimits,
  DEFAULT_ABUSE_LIMIT_RULES,
} from '../../../src/credentials/limits/abuse-limits.js'
import { createPostgresUsers } from '../../../src/credentials/users/postgres-users.js'
import { createApp } from '../../../src/http/app.js'
import { createAuthRouter } from '../../../src/http/auth-router.js'
import { requireAuth } from '../../../src/http/require-auth.js'
import { createRedisStore } from '../../../src/store/redis-store.js'
import { cheapPasswords, JWT_SECRET, settings } from '../../support/harness.js'
import { useTestDatabase } from '../../support/postgres.js'

const redis = useTestRedis('pg-users')
const db = useTestDatabase('users')

/** The token server with its users in PostgreSQL, roles read from a table of the app's own. */
async function serverOnPostgres(
  options: { registration?: boolean; rules?: Partial<AbuseLimitRules> } = {},
) {
  const pool = db.pool()
  const users = createPostgresUsers({
    pool,
    passwords: cheapPasswords,
    ...(options.registration === undefined ? {} : { registration: options.registration }),
  })
  await users.createTable()
  await pool.query(
    'CREATE TABLE IF NOT EXISTS user_roles (user_id uuid NOT NULL, role text NOT NULL)',
  )
  const store = createRedisStore({ redis: redis.client(), keyPrefix: redis.keyPrefix })
  const tokens = createAuthService({
    ...settings,
    store,
    keys: createTokenKeys({ jwtSecret: JWT_SECRET }),
    users,
    limits: createAbuseLimits({ rules: { ...DEFAULT_ABUSE_LIMIT_RULES, ...options.rules } }),
    async accessTokenClaims({ user }) {
      const { rows } = await pool.query<{ role: string }>(
        'SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role',
        [user.id],
      )
      const roles = rows.map((row) => row.role)
      return { roles, scope: roles.includes('admin') ? 'orders:read orders:write' : 'orders:read' }
    },
  })
  return {
    pool,
    users,
    tokens,
    store,
    http: request(createApp({ auth: tokens, store }).callback()),
  }
}

const unique = () => `pg${Math.random().toString(36).slice(2, 10)}`

describe('users in PostgreSQL, sessions in Redis', () => {
  it('registers, logs in, refreshes and carries claims read from PostgreSQL', async () => {
    const { http, pool } = await serverOnPostgres()
    const credentials = { username: unique(), password: 'correct horse battery' }
    const registered = await http.post('/auth/register').send(credentials)
    expect(registered.status).toBe(201)
    const { id } = registered.body.user as { id: string }
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    const { rows } = await pool.query(
      'SELECT username, password_hash FROM refresh_kit_users WHERE id = $1',
      [id],
    )
    expect(rows[0].username).toBe(credentials.username)
    expect(rows[0].password_hash).not.toContain(credentials.password)

    // Any case of the name signs in: the index is on lower(username).
    const login = await http
      .post('/auth/login')
      .send({ ...credentials, username: credentials.username.toUpperCase() })
    expect(login.status).toBe(200)
    expect(decodeJwtPayload(login.body.accessToken)).toMatchObject({
      sub: id,
      username: credentials.username,
      roles: [],
      scope: 'orders:read',
    })

    // A role granted in the app's database reaches the next token, at the next refresh.
    await pool.query("INSERT INTO user_roles (user_id, role) VALUES ($1, 'admin')", [id])
    const refreshed = await http
      .post('/auth/refresh')
      .send({ refreshToken: login.body.refreshToken })
    expect(refreshed.status).toBe(200)
    expect(decodeJwtPayload(refreshed.body.accessToken)).toMatchObject({
      sub: id,
      roles: ['admin'],
      scope: 'orders:read orders:write',
    })
    const me = await http
      .get('/auth/me')
      .set('Authorization', `Bearer ${refreshed.body.accessToken}`)
    expect(me.status).toBe(200)
    expect(me.body).toEqual({ id, username: credentials.username, sessionId: expect.any(String) })
  })

  it('answers 409 for a taken name in any case, and 401 for a wrong password or an unknown user', async () => {
    const { http } = await serverOnPostgres()
    const username = unique()
    await http
      .post('/auth/register')
      .send({ username, password: 'correct horse battery' })
      .expect(201)
    const taken = await http
      .post('/auth/register')
      .send({ username: username.toUpperCase(), password: 'another password' })
    expect(taken.status).toBe(409)
    expect(taken.body.error).toBe('user_exists')
    for (const attempt of [
      { username, password: 'wrong password!' },
      { username: unique(), password: 'correct horse battery' },
    ]) {
      const res = await http.post('/auth/login').send(attempt)
      expect(res.status).toBe(401)
      expect(res.body.error).toBe('invalid_credentials')
    }
  })

  it('lets exactly one of 20 parallel registrations of one name (in any case) win', async () => {
    // Room for the burst under the per-address registration limit: the race is the adapter's.
    const { http } = await serverOnPostgres({
      rules: { registrationsPerAddress: { points: 20, durationSeconds: 3600 } },
    })
    const name = unique()
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        http.post('/auth/register').send({
          username: i % 2 === 0 ? name : name.toUpperCase(),
          password: 'correct horse battery',
        }),
      ),
    )
    const statuses = results.map((res) => res.status).sort()
    expect(statuses).toEqual([201, ...Array.from({ length: 19 }, () => 409)])
  })

  it('signs a new user in 20 times at once: every login gets its own session', async () => {
    // Each login reserves a failure try before the password is checked, so one address may
    // have only LOGIN_MAX_FAILURES logins of one user in flight (and all addresses
    // LOGIN_MAX_FAILURES_PER_USER); room for the burst here.
    const { http } = await serverOnPostgres({
      rules: {
        loginFailuresPerPair: { points: 20, durationSeconds: 900 },
        loginFailuresPerUser: { points: 20, durationSeconds: 900 },
      },
    })
    const credentials = { username: unique(), password: 'correct horse battery' }
    await http.post('/auth/register').send(credentials).expect(201)
    const logins = await Promise.all(
      Array.from({ length: 20 }, () => http.post('/auth/login').send(credentials)),
    )
    expect(logins.map((res) => res.status)).toEqual(Array.from({ length: 20 }, () => 200))
    const sessions = await http
      .get('/auth/sessions')
      .set('Authorization', `Bearer ${logins[0]?.body.accessToken}`)
    expect(sessions.body.sessions).toHaveLength(20)
  })

  it('ends the session at the next refresh once the user is deleted from PostgreSQL', async () => {
    const { http, pool } = await serverOnPostgres()
    const credentials = { username: unique(), password: 'correct horse battery' }
    const { body } = await http.post('/auth/register').send(credentials).expect(201)
    const login = await http.post('/auth/login').send(credentials).expect(200)
    await pool.query('DELETE FROM refresh_kit_users WHERE id = $1', [body.user.id])
    const refreshed = await http
      .post('/auth/refresh')
      .send({ refreshToken: login.body.refreshToken })
    expect(refreshed.status).toBe(401)
    expect(refreshed.body.error).toBe('invalid_refresh_token')
  })

  it('turns registration off (404) when the adapter cannot create users; login still works', async () => {
    const seeded = await serverOnPostgres()
    const credentials = { username: unique(), password: 'correct horse battery' }
    await seeded.http.post('/auth/register').send(credentials).expect(201)
    const { http } = await serverOnPostgres({ registration: false })
    const res = await http
      .post('/auth/register')
      .send({ username: unique(), password: 'correct horse battery' })
    expect(res.status).toBe(404)
    expect(res.body.error).toBe('not_found')
    expect((await http.post('/auth/login').send(credentials)).status).toBe(200)
  })

  it('answers 503 service_unavailable, never a 500, when PostgreSQL cannot be reached', async () => {
    const pool = new pg.Pool({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      connectionTimeoutMillis: 1000,
    })
    try {
      const users = createPostgresUsers({ pool, passwords: cheapPasswords })
      const store = createRedisStore({ redis: redis.client(), keyPrefix: redis.keyPrefix })
      const tokens = createAuthService({
        ...settings,
        store,
        keys: createTokenKeys({ jwtSecret: JWT_SECRET }),
        users,
      })
      const http = request(createApp({ auth: tokens, store }).callback())
      const res = await http
        .post('/auth/login')
        .send({ username: unique(), password: 'correct horse battery' })
      expect(res.status).toBe(503)
      expect(res.body.error).toBe('service_unavailable')
      expect(res.headers['retry-after']).toBe('2')
    } finally {
      await pool.end()
    }
  })

  it('serves an app of its own under a prefix, its route guarded by scope and role from PostgreSQL', async () => {
    const { tokens, store, pool } = await serverOnPostgres()
    const app = new Koa()
    const auth = createAuthRouter({ auth: tokens, store, prefix: '/identity' })
    app.use(auth.routes()).use(auth.allowedMethods())
    const guard = requireAuth({ verifier: tokens, scope: 'orders:write', role: 'admin' })
    app.use(async (ctx, next) => {
      if (ctx.path !== '/orders') return next()
      await guard(ctx, async () => {
        ctx.body = { orders: [], user: ctx.state.auth.userId }
      })
    })
    const http = request(app.callback())
    const credentials = { username: unique(), password: 'correct horse battery' }
    const { body } = await http.post('/identity/auth/register').send(credentials).expect(201)
    const first = await http.post('/identity/auth/login').send(credentials).expect(200)
    const denied = await http
      .get('/orders')
      .set('Authorization', `Bearer ${first.body.accessToken}`)
    expect(denied.status).toBe(403)
    expect(denied.body.error).toBe('insufficient_scope')
    await pool.query("INSERT INTO user_roles (user_id, role) VALUES ($1, 'admin')", [body.user.id])
    const next = await http
      .post('/identity/auth/refresh')
      .send({ refreshToken: first.body.refreshToken })
      .expect(200)
    const allowed = await http
      .get('/orders')
      .set('Authorization', `Bearer ${next.body.accessToken}`)
    expect(allowed.status).toBe(200)
    expect(allowed.body).toEqual({ orders: [], user: body.user.id })
  })
})
