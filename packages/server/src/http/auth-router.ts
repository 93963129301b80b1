import type { Router } from '@koa/router'
import type { Middleware } from 'koa'
import { z } from 'zod'
import type { AuthService } from '../auth-service.js'
import { configDefault, OPTION_DEFAULTS } from '../config/schema.js'
import {
  checkOptions,
  integerRule,
  type OptionRule,
  oneOfRule,
  requiredRule,
} from '../lib/options.js'
import type { TokenStore } from '../store/types.js'
import { clientAddressOf, type ProxyHeader } from './client-address.js'
import { errorHandler } from './error-handler.js'
import { noStoreOnAuth } from './no-store.js'
import { createRefreshTransport, type RefreshTransportOptions } from './refresh-cookie.js'
import { assertRoutableTarget } from './request-target.js'
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
  /**
   * How login, refresh and logout carry the refresh token: body, `HttpOnly` cookie (its
   * path follows the prefix), or the client's choice; `allowedOrigins` are the browser
   * origins besides the server's own that may use the cookie.
   * @default { mode: 'both', cookieName: 'rk_refresh', secure: true, sameSite: 'strict', domain: null, allowedOrigins: [] }
   */
  refreshTokenTransport?: RefreshTransportOptions
  /**
   * Trusted proxy hops in front of the app: the client address that the login and
   * registration limits count is then the Nth entry from the right of `X-Forwarded-For`
   * (`true` means 1, `false` 0: the socket's address), and the cookie transport's own origin
   * the host and protocol the outermost trusted proxy forwarded. See `clientAddressOf`.
   * @default 0
   */
  trustProxy?: boolean | number
  /**
   * Which headers the trusted proxies write: `x-forwarded` or `forwarded` (RFC 7239). See
   * `ProxyHeader`. @default 'x-forwarded'
   */
  proxyHeader?: ProxyHeader
}

/**
 * What runs around every route of the router, outermost first: the contract's error body,
 * the refusal of a malformed request target, `Cache-Control: no-store`, and the client
 * address the abuse limits count and the security events carry.
 */
function routeEnvelope({
  handleErrors,
  noStore,
  trustedHops,
  proxyHeader,
}: {
  handleErrors: Middleware
  noStore: Middleware
  trustedHops: number
  proxyHeader: ProxyHeader
}): Middleware {
  return (ctx, next) =>
    handleErrors(ctx, () => {
      // Mounted in an app without `requestTarget()`, the router still refuses it before a route runs.
      assertRoutableTarget(ctx)
      return noStore(ctx, () => {
        ctx.state.clientAddress = clientAddressOf(ctx, trustedHops, proxyHeader)
        return next()
      })
    })
}

const PREFIX_RULE: OptionRule = {
  schema: z.string().regex(/^$|^(\/[A-Za-z0-9._~-]+)+$/),
  problem: 'must be "" or a path like /identity (no trailing slash)',
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
  const trustProxy = options.trustProxy ?? configDefault('TRUST_PROXY')
  const {
    prefix,
    trustProxy: trustedHops,
    proxyHeader,
    jwksMaxAgeSeconds,
    unavailableRetryAfterSeconds,
  } = checkOptions(
    'createAuthRouter',
    {
      auth,
      store,
      prefix: options.prefix ?? '',
      trustProxy: trustProxy === true ? 1 : trustProxy === false ? 0 : trustProxy,
      proxyHeader: options.proxyHeader ?? configDefault('TRUST_PROXY_HEADER'),
      jwksMaxAgeSeconds: options.jwksMaxAgeSeconds ?? OPTION_DEFAULTS.jwksMaxAgeSeconds,
      unavailableRetryAfterSeconds:
        options.unavailableRetryAfterSeconds ?? OPTION_DEFAULTS.unavailableRetryAfterSeconds,
    },
    {
      auth: requiredRule,
      store: requiredRule,
      prefix: PREFIX_RULE,
      trustProxy: { ...integerRule(0), problem: 'must be a boolean or an integer >= 0' },
      proxyHeader: oneOfRule(['x-forwarded', 'forwarded'], 'must be x-forwarded or forwarded'),
      jwksMaxAgeSeconds: integerRule(0),
      unavailableRetryAfterSeconds: integerRule(1),
    },
  )
  const router = createRouter({
    auth,
    store,
    prefix,
    transport: createRefreshTransport({
      mode: configDefault('REFRESH_TOKEN_TRANSPORT'),
      cookieName: configDefault('REFRESH_COOKIE_NAME'),
      secure: configDefault('COOKIE_SECURE'),
      sameSite: configDefault('COOKIE_SAMESITE'),
      domain: configDefault('COOKIE_DOMAIN'),
      ...options.refreshTokenTransport,
      behindProxy: trustedHops,
      proxyHeader,
    }),
    jwksMaxAgeSeconds,
    // Router-level middleware runs for this router's routes only, around their handlers: one
    // function, since the router matches, wraps and composes each of its layers per request.
    use: [
      routeEnvelope({
        handleErrors: errorHandler({
          unavailableRetryAfterSeconds,
        }),
        noStore: noStoreOnAuth(prefix),
        trustedHops,
        proxyHeader,
      }),
    ],
  })
  return router
}
