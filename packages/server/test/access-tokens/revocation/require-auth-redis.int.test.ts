import { freePort, useTestRedis } from '@refresh-kit/testing'
import { Redis } from 'ioredis'
import Koa from 'koa'
import request from 'supertest'
import { afterAll, describe, expect, it } from 'vitest'
import { createTokenKeys } from '../../../src/access-tokens/keys.js'
import { createAccessTokens } from '../../../src/access-tokens/sign-and-verify.js'
import { type AuthState, requireAuth } from '../../../src/http/require-auth.js'
import { failFastRedisOptions } from '../../../src/store/redis-options.js'
import { accessSettings, JWT_SECRET } from '../../support/harness.js'
import { recordCommands } from '../../support/record-commands.js'
import { instanceFactory, login, register } from './instances.js'

const redis = useTestRedis('require-auth')
const clients: Redis[] = []
const client = () => {
  const made = new Redis(redis.url, { ...failFastRedisOptions })
  made.on('error', () => {})
  clients.push(made)
  return made
}
afterAll(async () => {
  await Promise.all(clients.map((made) => made.quit().catch(() => made.disconnect())))
})

/** Another Koa service: it shares the HS256 secret and the token server's Redis. */
function ordersService(auth: ReturnType<typeof requireAuth>) {
  const app = new Koa<AuthState>()
  app.use(auth)
  app.use((ctx) => {
    ctx.body = { orders: [], user: ctx.state.auth.userId }
  })
  return request(app.callback())
}

describe('requireAuth({ redis }) in another Koa service', () => {
  const instances = instanceFactory({ client, keyPrefix: redis.keyPrefix })
  afterAll(() => instances.stopAll())
  const verifier = createAccessTokens({
    ...accessSettings,
    keys: createTokenKeys({ jwtSecret: JWT_SECRET }).access,
  })

  it('refuses the access token of a session ended on the token server, without a Redis call per request', async () => {
    const tokenServer = await instances.start('token server')
    const serviceRedis = client()
    const auth = requireAuth({ verifier, redis: serviceRedis, keyPrefix: redis.keyPrefix })
    try {
      await auth.ready()
      const orders = ordersService(auth)
      const user = await register(tokenServer)
      const pair = await login(tokenServer, user)
      const serviceCommands = recordCommands(serviceRedis)
      const serverCommands = recordCommands(tokenServer.redis as Redis)
      for (let i = 0; i < 20; i++) {
        const ok = await orders.get('/orders').set('Authorization', `Bearer ${pair.accessToken}`)
        expect(ok.status).toBe(200)
        expect(ok.body.user).toBe(user.id)
        const me = await tokenServer.http
          .get('/auth/me')
          .set('Authorization', `Bearer ${pair.accessToken}`)
        expect(me.status).toBe(200)
      }
      expect(serviceCommands.names()).toEqual([])
      expect(serverCommands.names()).toEqual([])

      expect(
        (await tokenServer.http.post('/auth/logout').send({ refreshToken: pair.refreshToken }))
          .status,
      ).toBe(204)
      await expect
        .poll(
          async () =>
            (await orders.get('/orders').set('Authorization', `Bearer ${pair.accessToken}`))
              .headers['www-authenticate'],
          { timeout: 10_000, interval: 5 },
        )
        .toBe(
          'Bearer realm="refresh-kit", error="invalid_token", error_description="the session of this access token has ended"',
        )
    } finally {
      await auth.close()
    }
  })

  it('a service started after the revocation loads it before its first answer', async () => {
    const tokenServer = await instances.start('token server 2')
    const user = await register(tokenServer)
    const pair = await login(tokenServer, user)
    const all = await tokenServer.http
      .post('/auth/logout-all')
      .set('Authorization', `Bearer ${pair.accessToken}`)
    expect(all.status).toBe(204)
    const auth = requireAuth({ verifier, redis: client(), keyPrefix: redis.keyPrefix })
    try {
      await auth.ready()
      const res = await ordersService(auth)
        .get('/orders')
        .set('Authorization', `Bearer ${pair.accessToken}`)
      expect(res.status).toBe(401)
      expect(res.body.error).toBe('invalid_token')
    } finally {
      await auth.close()
    }
  })

  it('answers 503 service_unavailable until the recorded revocations could be loaded', async () => {
    const port = await freePort()
    const nowhere = new Redis({
      ...failFastRedisOptions,
      port,
      host: '127.0.0.1',
      lazyConnect: true,
    })
    nowhere.on('error', () => {})
    const auth = requireAuth({ verifier, redis: nowhere })
    try {
      const { token } = verifier.sign({ userId: 'u1', sessionId: 's1', username: 'ada' })
      const res = await ordersService(auth).get('/orders').set('Authorization', `Bearer ${token}`)
      expect(res.status).toBe(503)
      expect(res.body.error).toBe('service_unavailable')
      expect(res.headers['retry-after']).toBe('2')
    } finally {
      await auth.close()
      nowhere.disconnect()
    }
  })

  it('refuses redis together with revocations, and a client with a key prefix of its own', () => {
    const shared = requireAuth({ verifier, redis: client() })
    expect(() =>
      requireAuth({
        verifier,
        redis: client(),
        revocations: {
          assertNotRevoked: () => {},
          ready: async () => {},
          size: () => ({ sessions: 0, users: 0 }),
          close: async () => {},
        },
      }),
    ).toThrow(/options\.redis or options\.revocations/)
    const prefixed = new Redis({ lazyConnect: true, keyPrefix: 'app:' })
    expect(() => requireAuth({ verifier, redis: prefixed })).toThrow(/no keyPrefix of its own/)
    prefixed.disconnect()
    return shared.close()
  })
})
