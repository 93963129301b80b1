import type { Router } from '@koa/router'
import type { AuthService } from '../service/auth-service.js'
import type { TokenStore } from '../store/types.js'
import { errorHandler } from './error-handler.js'
import { noStoreOnAuth } from './no-store.js'
import type { AuthState } from './require-auth.js'
import { createRouter } from './routes.js'

/** Options of {@link createAuthRouter}. */
export interface AuthRouterOptions {
  /** The auth service (see `createAuthService`). Required. */
  auth: AuthService
  /** The store behind `auth`, asked by `/readyz`. Required. */
  store: TokenStore
  /**
   * Prepended to every path: with `'/identity'`, login is `POST /identity/auth/login`. Give
   * the SDK the same prefix in its base URL. Must start with `/` and not end with one.
   * @default '' (the paths of the HTTP contract as they are)
   */
  prefix?: string
  /** `Retry-After` seconds of `503 service_unavailable`. @default 2 */
  unavailableRetryAfterSeconds?: number
  /** `Cache-Control: public, max-age` of `GET /.well-known/jwks.json`, in seconds. @default 300 */
  jwksMaxAgeSeconds?: number
}

function integerOption(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`createAuthRouter: options.${name} must be an integer >= ${min}`)
  }
  return value
}

/**
 * The token server's routes as a `@koa/router` router, to mount in a Koa app you already
 * run, under any prefix. Its routes answer errors with the contract's JSON body and
 * `Cache-Control: no-store` by themselves, so nothing else of your app changes; protect
 * your own routes with `requireAuth({ verifier: auth })`.
 *
 * @example
 * ```ts
 * const routes = createAuthRouter({ auth, store, prefix: '/identity' })
 * app.use(routes.routes()).use(routes.allowedMethods())
 * router.get('/api/orders', requireAuth({ verifier: auth, scope: 'orders:read' }), listOrders)
 * ```
 */
export function createAuthRouter(options: AuthRouterOptions): Router<AuthState> {
  const { auth, store } = options
  if (auth === undefined) throw new TypeError('createAuthRouter: options.auth is required')
  if (store === undefined) throw new TypeError('createAuthRouter: options.store is required')
  const prefix = options.prefix ?? ''
  if (typeof prefix !== 'string' || (prefix !== '' && !/^(\/[A-Za-z0-9._~-]+)+$/.test(prefix))) {
    throw new TypeError(
      'createAuthRouter: options.prefix must be "" or a path like /identity (no trailing slash)',
    )
  }
  const router = createRouter({
    auth,
    store,
    prefix,
    jwksMaxAgeSeconds: integerOption('jwksMaxAgeSeconds', options.jwksMaxAgeSeconds ?? 300, 0),
    // Router-level middleware runs for this router's routes only, around their handlers.
    use: [
      errorHandler({
        unavailableRetryAfterSeconds: integerOption(
          'unavailableRetryAfterSeconds',
          options.unavailableRetryAfterSeconds ?? 2,
          1,
        ),
      }),
      noStoreOnAuth(prefix),
    ],
  })
  return router
}
