import { Router } from '@koa/router'
import Koa from 'koa'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { createTokenKeys } from '../../src/access-tokens/keys.js'
import { createAccessTokens } from '../../src/access-tokens/sign-and-verify.js'
import { type AuthState, requireAuth } from '../../src/http/require-auth.js'
import { accessSettings, JWT_SECRET } from '../support/harness.js'

describe('requireAuth in another Koa app', () => {
  const access = createAccessTokens({
    ...accessSettings,
    keys: createTokenKeys({ jwtSecret: JWT_SECRET }).access,
  })
  const app = new Koa()
  const router = new Router<AuthState>()
  router.get('/orders', requireAuth({ verifier: access, realm: 'shop' }), (ctx) => {
    ctx.body = {
      owner: ctx.state.auth.userId,
      session: ctx.state.auth.sessionId,
      jti: ctx.state.auth.claims.jti,
    }
  })
  app.use(router.routes())
  const http = request(app.callback())

  it('puts the verified token in ctx.state.auth', async () => {
    const { token } = access.sign({ userId: 'u-1', sessionId: 's-1', username: 'ada' })
    const res = await http.get('/orders').set('Authorization', `Bearer ${token}`)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ owner: 'u-1', session: 's-1', jti: expect.any(String) })
  })

  it('answers the 401s itself, with the configured realm, with no error middleware around it', async () => {
    const missing = await http.get('/orders')
    expect(missing.status).toBe(401)
    expect(missing.body).toEqual({ error: 'missing_token', message: expect.any(String) })
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="shop"')
    const bad = await http.get('/orders').set('Authorization', 'Bearer two parts')
    expect(bad.status).toBe(401)
    expect(bad.body.error).toBe('invalid_token')
    expect(bad.headers['www-authenticate']).toMatch(
      /^Bearer realm="shop", error="invalid_token", error_description="/,
    )
  })

  it('refuses a missing verifier with a TypeError naming the option', () => {
    // @ts-expect-error: a verifier or a JWKS is required
    expect(() => requireAuth({})).toThrow(/options.verifier/)
  })
})
