import { decodeJwtPayload } from '@refresh-kit/shared'
import Koa from 'koa'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { MAX_ACCESS_TOKEN_BYTES, REGISTERED_CLAIMS } from '../../src/access-tokens/custom-claims.js'
import { requireAuth } from '../../src/http/require-auth.js'
import { setup } from '../support/harness.js'

describe('accessTokenClaims', () => {
  it('adds the claims at login and refresh, and requireAuth exposes them', async () => {
    const calls: unknown[] = []
    const { http, signIn, tokens } = setup({
      accessTokenClaims: (input) => {
        calls.push(input)
        return { scope: 'orders:read', roles: ['support'], tenant: { id: 7 } }
      },
    })
    const { pair, userId, username } = await signIn()
    const refreshed = await http.post('/auth/refresh').send({ refreshToken: pair.refreshToken })
    for (const token of [pair.accessToken, refreshed.body.accessToken as string]) {
      expect(decodeJwtPayload(token)).toMatchObject({
        sub: userId,
        scope: 'orders:read',
        roles: ['support'],
        tenant: { id: 7 },
      })
    }
    expect(calls).toEqual([
      { user: { id: userId, username }, sessionId: expect.any(String) },
      { user: { id: userId, username }, sessionId: (calls[0] as { sessionId: string }).sessionId },
    ])
    expect(tokens.verifyAccessToken(pair.accessToken).claims.tenant).toEqual({ id: 7 })
  })

  it.each(REGISTERED_CLAIMS)(
    'refuses to override the registered claim %s, with a clear error',
    async (name) => {
      const errors: unknown[] = []
      const { app, signIn } = setup({ accessTokenClaims: () => ({ [name]: 'forged' }) })
      app.on('error', (error: unknown) => errors.push(error))
      await expect(signIn()).rejects.toThrow(/login failed: 500/)
      expect(String(errors[0])).toContain(`"${name}" is a registered claim`)
    },
  )

  it('leaves no session behind when the hook fails at login', async () => {
    const { http, store, clock } = setup({
      accessTokenClaims: () => {
        throw new Error('roles service is down')
      },
    })
    const credentials = { username: 'ada.claims', password: 'correct horse battery' }
    const { body } = await http.post('/auth/register').send(credentials).expect(201)
    expect((await http.post('/auth/login').send(credentials)).status).toBe(500)
    expect(await store.listSessions(body.user.id, clock())).toEqual([])
  })

  it('does not count a failing hook as a failed login: the right password is no guess', async () => {
    let down = true
    const { http } = setup({
      loginMaxFailures: 2,
      accessTokenClaims: () => {
        if (down) throw new Error('roles service is down')
        return { scope: 'profile' }
      },
    })
    const credentials = { username: 'bea.claims', password: 'correct horse battery' }
    await http.post('/auth/register').send(credentials).expect(201)
    for (let n = 0; n < 3; n++) {
      expect((await http.post('/auth/login').send(credentials)).status).toBe(500)
    }
    down = false
    expect((await http.post('/auth/login').send(credentials)).status).toBe(200)
  })

  it('refuses a token past 4 KiB with a clear error, and accepts one just under', async () => {
    let size = 2000
    const errors: unknown[] = []
    const { app, signIn } = setup({ accessTokenClaims: () => ({ blob: 'x'.repeat(size) }) })
    app.on('error', (error: unknown) => errors.push(error))
    const { pair } = await signIn()
    expect(Buffer.byteLength(pair.accessToken)).toBeLessThanOrEqual(MAX_ACCESS_TOKEN_BYTES)
    size = 3000
    await expect(signIn()).rejects.toThrow(/login failed: 500/)
    expect(String(errors[0])).toMatch(/would be \d+ bytes, over the 4096-byte bound/)
  })

  it('refuses a hook result that is not a plain object of JSON values', async () => {
    for (const result of [null, ['scope'], { when: undefined }, { f: () => 1 }]) {
      const errors: unknown[] = []
      const { app, signIn } = setup({ accessTokenClaims: () => result as Record<string, unknown> })
      app.on('error', (error: unknown) => errors.push(error))
      await expect(signIn()).rejects.toThrow(/login failed: 500/)
      expect(String(errors[0])).toMatch(/accessTokenClaims/)
    }
  })
})

describe('requireAuth with scope and role', () => {
  const appWith = (
    claims: Record<string, unknown>,
    options: { scope?: string | string[]; role?: string | string[] },
  ) => {
    const server = setup({ accessTokenClaims: () => claims })
    const app = new Koa()
    const guard = requireAuth({ verifier: server.tokens, ...options })
    app.use((ctx, next) =>
      guard(ctx, async () => {
        ctx.body = { claims: ctx.state.auth.claims }
        await next()
      }),
    )
    return { server, http: request(app.callback()) }
  }

  it('lets a token with every required scope through, with its claims in ctx.state.auth', async () => {
    const { server, http } = appWith(
      { scope: 'orders:read orders:write' },
      { scope: ['orders:read', 'orders:write'] },
    )
    const { pair } = await server.signIn()
    const res = await http.get('/').set('Authorization', `Bearer ${pair.accessToken}`)
    expect(res.status).toBe(200)
    expect(res.body.claims.scope).toBe('orders:read orders:write')
  })

  it('answers 403 insufficient_scope with an RFC 6750 challenge naming the scope', async () => {
    const { server, http } = appWith(
      { scope: 'orders:read' },
      { scope: 'orders:read orders:write' },
    )
    const { pair } = await server.signIn()
    const res = await http.get('/').set('Authorization', `Bearer ${pair.accessToken}`)
    expect(res.status).toBe(403)
    expect(res.body).toEqual({
      error: 'insufficient_scope',
      message: expect.stringContaining('orders:write'),
    })
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer realm="refresh-kit", error="insufficient_scope", error_description="[^"]+", scope="orders:read orders:write"$/,
    )
  })

  it('accepts any one of the roles, from a roles array or a role string, and refuses others', async () => {
    for (const [claims, status] of [
      [{ roles: ['viewer', 'admin'] }, 200],
      [{ role: 'owner' }, 200],
      [{ roles: ['viewer'] }, 403],
      [{ roles: 'admin' }, 403],
      [{}, 403],
    ] as const) {
      const { server, http } = appWith(claims, { role: ['admin', 'owner'] })
      const { pair } = await server.signIn()
      const res = await http.get('/').set('Authorization', `Bearer ${pair.accessToken}`)
      expect(res.status, JSON.stringify(claims)).toBe(status)
    }
  })

  it('still answers 401 without a token, before any scope check', async () => {
    const { http } = appWith({}, { scope: 'orders:read' })
    const res = await http.get('/')
    expect(res.status).toBe(401)
    expect(res.body.error).toBe('missing_token')
  })

  it('refuses scope or role options that cannot be matched', () => {
    const verifier = setup().tokens
    expect(() => requireAuth({ verifier, scope: '' })).toThrow(/options.scope/)
    expect(() => requireAuth({ verifier, role: ['a"b'] })).toThrow(/options.role/)
    expect(() => requireAuth({ verifier, scope: [] })).toThrow(/options.scope/)
  })
})
