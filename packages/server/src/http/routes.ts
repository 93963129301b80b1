import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Router } from '@koa/router'
import {
  DEVICE_COOKIE_NAME,
  type HealthResponse,
  type JwksResponse,
  type MeResponse,
  ROUTES,
} from '@refresh-kit/shared'
import { createOpenApiDocument } from '@refresh-kit/shared/schemas'
import type { Middleware } from 'koa'
import type { AuthService } from '../auth-service.js'
import { AuthError, isAuthError, StoreUnavailableError } from '../errors.js'
import type { TokenStore } from '../store/types.js'
import { jsonBody } from './json-body.js'
import type { RefreshTransport } from './refresh-cookie.js'
import { type AuthState, requireAuth } from './require-auth.js'
import { readCredentials, readLogin, readPasswordChange } from './validation.js'

/** What the routes need. */

// The document's `info.version` is the version of the server answering by it, read from the
// package beside the module (`src/http` and `dist/http` are both two folders down).
const SERVER_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version
export interface RoutesOptions {
  auth: AuthService
  store: TokenStore
  /** `max-age` of the JWKS answer, in seconds. */
  jwksMaxAgeSeconds: number
  /** Where login, refresh and logout carry the refresh token. */
  transport: RefreshTransport
  /** Prepended to every path, e.g. `/identity`; `''` for none. */
  prefix: string
  /** Run before the handler of every route of this router (not for unmatched paths). */
  use?: Middleware[]
}

type Body = Record<string, unknown>

/** The address the router's first middleware resolved (see `clientAddressOf`). */
function clientAddress(ctx: { state: object }): string {
  const address = (ctx.state as { clientAddress?: unknown }).clientAddress
  return typeof address === 'string' ? address : 'unknown'
}

/** Every route of the HTTP contract. */
export function createRouter({
  auth,
  store,
  jwksMaxAgeSeconds,
  transport,
  prefix,
  use = [],
}: RoutesOptions): Router<AuthState> {
  const router = new Router<AuthState>(prefix === '' ? {} : { prefix })
  for (const middleware of use) router.use(middleware)
  const body = jsonBody()
  const signedIn = requireAuth({ verifier: auth })

  // An adapter that cannot create users turns registration off: the path is then unknown.
  if (auth.canRegister) {
    router.post(ROUTES.register, body, async (ctx) => {
      const credentials = readCredentials(ctx.request.body as Body)
      const user = await auth.register({ ...credentials, clientAddress: clientAddress(ctx) })
      ctx.status = 201
      ctx.body = { user }
    })
  }

  router.post(ROUTES.login, body, async (ctx) => {
    const { deviceToken, ...credentials } = readLogin(ctx.request.body as Body)
    const userAgent = ctx.get('User-Agent')
    // A bad transport header is refused before a session is created.
    transport.inCookie(ctx)
    const answer = await auth.login({
      ...credentials,
      clientAddress: clientAddress(ctx),
      userAgent: userAgent === '' ? null : userAgent,
      // Browsers carry it in their cookie, other clients in the body.
      deviceToken: deviceToken ?? ctx.cookies.get(DEVICE_COOKIE_NAME) ?? null,
    })
    ctx.body = transport.answer(ctx, answer)
  })

  router.post(ROUTES.refresh, transport.guard, body, async (ctx) => {
    const presented = transport.read(ctx, ctx.request.body as Body)
    try {
      if (presented.token === null) {
        throw new AuthError('invalid_refresh_token', 'no refresh cookie was sent')
      }
      ctx.body = transport.answer(
        ctx,
        await auth.refresh(presented.token, { clientAddress: clientAddress(ctx) }),
      )
    } catch (error) {
      // A refused cookie is removed, so the browser stops sending it; an outage keeps it.
      if (presented.fromCookie && isAuthError(error) && error.status === 401) transport.clear(ctx)
      throw error
    }
  })

  router.post(ROUTES.logout, transport.guard, body, async (ctx) => {
    const presented = transport.read(ctx, ctx.request.body as Body)
    if (presented.token !== null)
      await auth.logout(presented.token, { clientAddress: clientAddress(ctx) })
    if (presented.fromCookie || transport.inCookie(ctx)) transport.clear(ctx)
    ctx.status = 204
  })

  router.post(ROUTES.logoutAll, signedIn, body, async (ctx) => {
    const { userId, sessionId } = ctx.state.auth
    await auth.logoutAll(userId, { sessionId, clientAddress: clientAddress(ctx) })
    ctx.status = 204
  })

  router.post(ROUTES.password, signedIn, body, async (ctx) => {
    const { userId, sessionId } = ctx.state.auth
    await auth.changePassword({
      ...readPasswordChange(ctx.request.body as Body),
      userId,
      sessionId,
      clientAddress: clientAddress(ctx),
    })
    ctx.status = 204
  })

  router.get(ROUTES.me, signedIn, (ctx) => {
    const { userId, username, sessionId } = ctx.state.auth
    ctx.body = { id: userId, username, sessionId } satisfies MeResponse
  })

  router.get(ROUTES.sessions, signedIn, async (ctx) => {
    const { userId, sessionId } = ctx.state.auth
    ctx.body = { sessions: await auth.listSessions(userId, sessionId) }
  })

  router.delete(ROUTES.session, signedIn, async (ctx) => {
    const id = ctx.params.id ?? ''
    const { userId, sessionId } = ctx.state.auth
    await auth.revokeSession(userId, id, { clientAddress: clientAddress(ctx), sessionId })
    ctx.status = 204
  })

  // The key set is fixed for the life of the process: its body and ETag are built once.
  const jwks = { keys: [...auth.publicJwks] } satisfies JwksResponse
  const jwksEtag = `"${createHash('sha256').update(JSON.stringify(jwks)).digest('base64url').slice(0, 27)}"`
  router.get(ROUTES.jwks, (ctx) => {
    if (jwks.keys.length === 0) {
      throw new AuthError('not_found', 'no asymmetric signing key is configured')
    }
    // Public and cacheable: resource servers and proxies may keep it for max-age, which is
    // why a new key is published (status "next") at least that long before it signs.
    ctx.set('Cache-Control', `public, max-age=${jwksMaxAgeSeconds}`)
    ctx.status = 200
    ctx.etag = jwksEtag
    if (ctx.fresh) {
      ctx.status = 304
      return
    }
    ctx.body = jwks
  })

  // Built once: it describes this router as configured (prefix, registration on or off).
  const openapi = JSON.stringify(
    createOpenApiDocument({ prefix, registration: auth.canRegister, version: SERVER_VERSION }),
  )
  router.get(ROUTES.openapi, (ctx) => {
    ctx.type = 'application/json'
    ctx.body = openapi
  })

  router.get(ROUTES.healthz, (ctx) => {
    ctx.body = { status: 'ok' } satisfies HealthResponse
  })

  router.get(ROUTES.readyz, async (ctx) => {
    try {
      await store.ping()
    } catch (error) {
      throw error instanceof StoreUnavailableError
        ? error
        : new StoreUnavailableError('the token store did not answer', { cause: error })
    }
    ctx.body = { status: 'ok' } satisfies HealthResponse
  })

  return router
}
