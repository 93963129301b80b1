import { createServer, type Server } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { ROUTES } from '@refresh-kit/shared'
import Koa from 'koa'
import { afterAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/http/app.js'
import { createAuthRouter } from '../../src/http/auth-router.js'
import { isRoutableTarget } from '../../src/http/request-target.js'
import { setup } from '../support/harness.js'

const servers: Server[] = []
afterAll(async () => {
  for (const server of servers) server.closeAllConnections()
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
})

async function listen(app: Koa): Promise<number> {
  const server = createServer(app.callback())
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** One request written by hand, so the request line carries exactly `target`. */
function rawRequest(
  port: number,
  method: string,
  target: string,
  body?: unknown,
): Promise<{ status: number; headers: string; body: string }> {
  const payload = body === undefined ? '' : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    socket.on('data', (chunk) => {
      answer += chunk.toString()
    })
    socket.on('error', reject)
    socket.on('end', () => {
      const [head = '', rest = ''] = answer.split('\r\n\r\n')
      resolve({ status: Number(head.split(' ')[1]), headers: head, body: rest })
    })
    socket.write(
      `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n` +
        'X-Refresh-Token-Transport: cookie\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
    )
  })
}

const MALFORMED = [
  'http://[/auth/login',
  'http://x:99999/auth/login',
  'http://exa%mple/auth/login',
  'http://x:port/auth/login',
  'ftp://x/auth/login',
]

describe('isRoutableTarget', () => {
  it('accepts origin-form, absolute-form with a valid http(s) host and port, and * for OPTIONS', () => {
    for (const target of [
      '/auth/login',
      '/auth/login?x=1',
      'http://auth.example.com/auth/login',
      'https://[2001:db8::1]:8443/auth/login',
    ]) {
      expect(isRoutableTarget('POST', target)).toBe(true)
    }
    expect(isRoutableTarget('OPTIONS', '*')).toBe(true)
    expect(isRoutableTarget('POST', '*')).toBe(false)
    // Node's parser refuses the last two itself; the check does not rely on it.
    for (const target of [...MALFORMED, 'auth/login', 'http://a b/']) {
      expect(isRoutableTarget('POST', target)).toBe(false)
    }
  })
})

describe('a malformed request target is 400 invalid_request before any route runs (regression: 500, a cookie login after its session was created)', () => {
  it('createApp in cookie mode: 400 with the error body for each, and no session created', async () => {
    const { tokens, store, signIn, http } = setup()
    const app = createApp({
      auth: tokens,
      store,
      refreshTokenTransport: { mode: 'cookie', secure: false },
    })
    const port = await listen(app)
    const { username, password, pair } = await signIn()
    // The harness's own app signed in once: the user holds one session.
    for (const target of MALFORMED) {
      const res = await rawRequest(port, 'POST', target, { username, password })
      expect(res.status, target).toBe(400)
      expect(res.body, target).not.toBe('')
      expect(JSON.parse(res.body)).toEqual({
        error: 'invalid_request',
        message: 'the request target is malformed',
      })
      expect(res.headers.toLowerCase()).not.toContain('set-cookie')
    }
    const sessions = await http
      .get(ROUTES.sessions)
      .set('Authorization', `Bearer ${pair.accessToken}`)
    expect(sessions.status).toBe(200)
    expect(sessions.body.sessions).toHaveLength(1)
    // A well-formed absolute-form target is served (RFC 9112 §3.2.2).
    const ok = await rawRequest(port, 'POST', `http://127.0.0.1:${port}${ROUTES.login}`, {
      username,
      password,
    })
    expect(ok.status).toBe(200)
    expect(ok.headers.toLowerCase()).toContain('set-cookie: rk_refresh=')
  })

  it('createAuthRouter mounted in another app: 400 before the route runs', async () => {
    const { tokens, store, signIn, http } = setup()
    const router = createAuthRouter({
      auth: tokens,
      store,
      refreshTokenTransport: { mode: 'cookie', secure: false },
    })
    const app = new Koa()
    app.use(router.routes())
    app.use(router.allowedMethods())
    const port = await listen(app)
    const { username, password, pair } = await signIn()
    const res = await rawRequest(port, 'POST', 'http://x:99999/auth/login', { username, password })
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_request' })
    expect(res.headers.toLowerCase()).not.toContain('set-cookie')
    const sessions = await http
      .get(ROUTES.sessions)
      .set('Authorization', `Bearer ${pair.accessToken}`)
    expect(sessions.body.sessions).toHaveLength(1)
  })
})
