import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  authSettingsOf,
  createAuthService,
  createPasswordHasher,
  createRedisStore,
  createTokenKeys,
  loadConfig,
} from '@refresh-kit/server'
import { freePort, useTestRedis } from '@refresh-kit/testing'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createResourceApp, grantScopes } from '../src/app.js'

const redis = useTestRedis('example')
const password = 'correct horse battery'

describe('the example resource server', () => {
  const app = () => {
    const store = createRedisStore({ redis: redis.client(), keyPrefix: redis.keyPrefix })
    const auth = createAuthService({
      ...authSettingsOf(loadConfig({})),
      store,
      keys: createTokenKeys({ jwtSecret: 'example-test-secret-0123456789abcdefghijkl' }),
      passwords: createPasswordHasher({ cost: 2 ** 10, blockSize: 8 }),
      accessTokenClaims: grantScopes(['Ada']),
    })
    return request(createResourceApp({ auth, store }).callback())
  }
  const signIn = async (http: ReturnType<typeof app>, username: string) => {
    await http.post('/identity/auth/register').send({ username, password }).expect(201)
    const res = await http.post('/identity/auth/login').send({ username, password }).expect(200)
    return res.body as { accessToken: string; refreshToken: string }
  }

  it('serves the protected route only with a valid token that grants orders:read', async () => {
    const http = app()
    const ada = await signIn(http, 'ada')
    const ok = await http.get('/api/orders').set('Authorization', `Bearer ${ada.accessToken}`)
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ user: { username: 'ada' }, scope: 'profile orders:read' })
    expect(ok.body.orders).toHaveLength(2)

    const bob = await signIn(http, 'bob')
    const forbidden = await http
      .get('/api/orders')
      .set('Authorization', `Bearer ${bob.accessToken}`)
    expect(forbidden.status).toBe(403)
    expect(forbidden.body.error).toBe('insufficient_scope')
    expect(forbidden.headers['www-authenticate']).toContain('scope="orders:read"')

    const missing = await http.get('/api/orders')
    expect(missing.status).toBe(401)
    expect(missing.body.error).toBe('missing_token')

    // A token of another signer, and one altered by a byte, are refused alike.
    const [header, payload, signature = ''] = ada.accessToken.split('.')
    const tampered = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`
    const bad = await http.get('/api/orders').set('Authorization', `Bearer ${tampered}`)
    expect(bad.status).toBe(401)
    expect(bad.body.error).toBe('invalid_token')
  })

  it('keeps the auth routes whole under the prefix: refresh, no-store, errors, and nothing at the root', async () => {
    const http = app()
    const ada = await signIn(http, 'Ada.Two')
    const next = await http.post('/identity/auth/refresh').send({ refreshToken: ada.refreshToken })
    expect(next.status).toBe(200)
    expect(next.headers['cache-control']).toBe('no-store')
    const wrong = await http
      .post('/identity/auth/login')
      .send({ username: 'Ada.Two', password: 'a wrong password' })
    expect(wrong.status).toBe(401)
    expect(wrong.body.error).toBe('invalid_credentials')
    expect(wrong.headers['cache-control']).toBe('no-store')
    expect((await http.post('/auth/login').send({ username: 'Ada.Two', password })).status).toBe(
      404,
    )
    const me = await http
      .get('/identity/auth/me')
      .set('Authorization', `Bearer ${next.body.accessToken}`)
    expect(me.body.username).toBe('Ada.Two')
  })
})

describe('the built example as a process', () => {
  const entry = fileURLToPath(new URL('../dist/main.js', import.meta.url))
  let child: ChildProcess | undefined
  let base = ''
  beforeAll(async () => {
    if (!existsSync(entry)) throw new Error(`${entry} is missing: build the example first`)
    const port = await freePort()
    child = spawn(process.execPath, [entry], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: redis.keyPrefix,
        ORDER_READERS: 'carol',
        JWT_SECRET: 'example-process-secret-0123456789abcdefghij',
      },
    })
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    const deadline = Date.now() + 30_000
    while (!out.includes('listening on')) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`no listening line: ${out}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    base = `http://127.0.0.1:${port}`
  })
  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  })

  it('signs carol in under /identity and serves her orders, and no one without a token', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await post('/identity/auth/register', { username: 'carol', password })).status).toBe(
      201,
    )
    const login = await post('/identity/auth/login', { username: 'carol', password })
    const { accessToken } = (await login.json()) as { accessToken: string }
    const orders = await fetch(`${base}/api/orders`, {
      headers: { Authorization: `Bearer ${accessToken}` },
    })
    expect(orders.status).toBe(200)
    expect(((await orders.json()) as { user: { username: string } }).user.username).toBe('carol')
    expect((await fetch(`${base}/api/orders`)).status).toBe(401)
  })
})
