import { Router } from '@koa/router'
import {
  type AccessTokenClaimsHook,
  type AuthService,
  type AuthState,
  createAuthRouter,
  requireAuth,
  type TokenStore,
} from '@refresh-kit/server'
import Koa from 'koa'

/** The scope `GET /api/orders` requires. */
export const ORDERS_SCOPE = 'orders:read'

/**
 * Grants `orders:read` to the users named in `readers` (any case), `profile` to everyone:
 * the claims hook a real app would back with its own roles table.
 *
 * @example
 * ```ts
 * createAuthService({ ...settings, store, keys, accessTokenClaims: grantScopes(['ada']) })
 * ```
 */
export function grantScopes(readers: readonly string[]): AccessTokenClaimsHook {
  const names = new Set(readers.map((name) => name.toLowerCase()))
  return ({ user }) => ({
    scope: names.has(user.username.toLowerCase()) ? `profile ${ORDERS_SCOPE}` : 'profile',
  })
}

/** Options of {@link createResourceApp}. */
export interface ResourceAppOptions {
  /** The auth service (see `createAuthService`). Required. */
  auth: AuthService
  /** The store behind it. Required. */
  store: TokenStore
  /** Where the auth routes are mounted. @default '/identity' */
  authPrefix?: string
}

/**
 * A small resource server: the auth routes under `/identity` (login is
 * `POST /identity/auth/login`), and its own `GET /api/orders`, served only with a valid
 * access token that grants `orders:read`.
 *
 * @example
 * ```ts
 * createResourceApp({ auth, store }).listen(4000)
 * ```
 */
export function createResourceApp(options: ResourceAppOptions): Koa {
  const { auth, store } = options
  const app = new Koa()
  const routes = createAuthRouter({ auth, store, prefix: options.authPrefix ?? '/identity' })
  app.use(routes.routes()).use(routes.allowedMethods())

  const api = new Router<AuthState>({ prefix: '/api' })
  api.get('/orders', requireAuth({ verifier: auth, scope: ORDERS_SCOPE }), (ctx) => {
    const { userId, username, claims } = ctx.state.auth
    ctx.body = {
      user: { id: userId, username },
      scope: claims.scope,
      orders: [
        { id: `${userId}-1`, item: 'coffee beans', quantity: 2 },
        { id: `${userId}-2`, item: 'filter papers', quantity: 1 },
      ],
    }
  })
  app.use(api.routes()).use(api.allowedMethods())
  return app
}
