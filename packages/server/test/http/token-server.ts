import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TokenResponse } from '@refresh-kit/shared'
import type Koa from 'koa'
import request from 'supertest'
import type { AccessTokenAlgorithm } from '../../src/access-tokens/algorithms.js'
import { createTokenKeys } from '../../src/access-tokens/keys.js'
import type { PrivateJwk } from '../../src/access-tokens/signing-keys.js'
import { createAuthService } from '../../src/auth-service.js'
import { createApp } from '../../src/http/app.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import type { TokenStore } from '../../src/store/types.js'
import { cheapPasswords, type ManualClock, manualClock, settings } from '../support/harness.js'

export interface TokenServerOptions {
  algorithm: AccessTokenAlgorithm
  signingKeys?: PrivateJwk[]
  clock?: ManualClock
  store?: TokenStore
}

/** The token server's app on a memory store, with asymmetric keys, and sign-in for tests. */
export function tokenServerApp({ algorithm, signingKeys, clock, store }: TokenServerOptions) {
  const now = clock ?? manualClock()
  const sessions = store ?? createMemoryStore({ now })
  const jwtSecret = 'jwks-test-secret-0123456789abcdefghijklmnop'
  const keys =
    algorithm === 'HS256'
      ? createTokenKeys({ jwtSecret })
      : createTokenKeys({ algorithm, jwtSecret, signingKeys: signingKeys ?? [] })
  const tokens = createAuthService({
    ...settings,
    store: sessions,
    keys,
    clock: now,
    passwords: cheapPasswords,
  })
  const app = createApp({ auth: tokens, store: sessions })
  return { app, tokens, store: sessions, clock: now }
}

let counter = 0

/** Registers a fresh user on an app and logs in. */
export async function signIn(app: Koa): Promise<{ userId: string; pair: TokenResponse }> {
  counter += 1
  const http = request(app.callback())
  const credentials = { username: `jwks-user-${counter}`, password: 'correct horse battery' }
  const registered = await http.post('/auth/register').send(credentials)
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status}`)
  const login = await http.post('/auth/login').send(credentials)
  if (login.status !== 200) throw new Error(`login failed: ${login.status}`)
  return { userId: registered.body.user.id as string, pair: login.body as TokenResponse }
}

/** A listening HTTP server whose app can be swapped (a replica restarted with new keys) and
 * that counts the JWKS requests it receives. */
export interface ListeningServer {
  url: string
  jwksUri: string
  /** JWKS requests received so far. */
  jwksRequests(): number
  use(app: Koa): void
  close(): Promise<void>
}

export async function listen(app: Koa): Promise<ListeningServer> {
  let handler: RequestListener = app.callback()
  let jwksRequests = 0
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/.well-known/jwks.json') === true) jwksRequests += 1
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    jwksUri: `${url}/.well-known/jwks.json`,
    jwksRequests: () => jwksRequests,
    use(next) {
      handler = next.callback()
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
