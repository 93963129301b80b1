import Koa from 'koa'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createTokenKeys } from '../../src/access-tokens/keys.js'
import { createAuthService } from '../../src/auth-service.js'
import {
  createAbuseLimits,
  DEFAULT_ABUSE_LIMIT_RULES,
} from '../../src/credentials/limits/abuse-limits.js'
import { createAuthRouter } from '../../src/http/auth-router.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { cheapPasswords, JWT_SECRET, settings } from '../support/harness.js'

const PASSWORD = 'correct horse battery staple'

/** The auth routes mounted under `/identity` in an app of one's own. */
function mounted(options: Omit<Parameters<typeof createAuthRouter>[0], 'auth' | 'store'>) {
  const store = createMemoryStore()
  const auth = createAuthService({
    ...settings,
    store,
    keys: createTokenKeys({ jwtSecret: JWT_SECRET }),
    passwords: cheapPasswords,
    limits: createAbuseLimits({
      rules: {
        ...DEFAULT_ABUSE_LIMIT_RULES,
        loginFailuresPerPair: { points: 2, durationSeconds: 900 },
        registrationsPerAddress: { points: 0, durationSeconds: 3600 },
      },
    }),
  })
  const app = new Koa()
  const router = createAuthRouter({ auth, store, prefix: '/identity', ...options })
  app.use(router.routes()).use(router.allowedMethods())
  return request(app.callback())
}

function cookieOf(res: request.Response): string {
  const header = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0] ?? ''
  return header
}

describe('the auth router mounted in an app of its own', () => {
  it('keeps the cookie transport: the cookie scoped to the prefix, refresh by cookie, 403 without the header', async () => {
    const http = mounted({ refreshTokenTransport: { mode: 'cookie', secure: false } })
    await http
      .post('/identity/auth/register')
      .send({ username: 'mounted.ada', password: PASSWORD })
      .expect(201)
    const login = await http
      .post('/identity/auth/login')
      .send({ username: 'mounted.ada', password: PASSWORD })
    expect(login.status).toBe(200)
    expect(login.body.refreshToken).toBeUndefined()
    const cookie = cookieOf(login)
    expect(cookie).toMatch(/^rk_refresh=[^;]+;/)
    expect(cookie).toContain('Path=/identity/auth')
    expect(cookie).toContain('HttpOnly')
    const pair = cookie.split(';')[0] ?? ''

    const forged = await http.post('/identity/auth/refresh').set('Cookie', pair).send({})
    expect(forged.status).toBe(403)
    expect(forged.body.error).toBe('csrf_rejected')
    expect(forged.headers['cache-control']).toBe('no-store')

    const refreshed = await http
      .post('/identity/auth/refresh')
      .set('Cookie', pair)
      .set('X-Refresh-Token-Transport', 'cookie')
      .send({})
    expect(refreshed.status).toBe(200)
    expect(refreshed.body.refreshToken).toBeUndefined()
    expect(cookieOf(refreshed)).toContain('Path=/identity/auth')
  })

  it('counts failed logins by the forwarded address it is told to trust', async () => {
    const http = mounted({ trustProxy: 1 })
    await http
      .post('/identity/auth/register')
      .send({ username: 'mounted.bob', password: PASSWORD })
      .expect(201)
    const from = (address: string, password: string) =>
      http
        .post('/identity/auth/login')
        .set('X-Forwarded-For', address)
        .send({ username: 'mounted.bob', password })
    expect((await from('203.0.113.7', 'wrong guess one')).status).toBe(401)
    expect((await from('203.0.113.7', 'wrong guess two')).status).toBe(401)
    const locked = await from('203.0.113.7', PASSWORD)
    expect(locked.status).toBe(429)
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0)
    expect((await from('198.51.100.9', PASSWORD)).status).toBe(200)
  })

  it('refuses a trustProxy that is no hop count', () => {
    expect(() => mounted({ trustProxy: -1 })).toThrow(/trustProxy/)
  })
})
