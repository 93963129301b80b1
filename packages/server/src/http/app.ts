import Koa from 'koa'
import { z } from 'zod'
import type { AuthService } from '../auth-service.js'
import { configDefault, OPTION_DEFAULTS } from '../config/schema.js'
import { checkOptions, integerRule, type OptionRule, requiredRule } from '../lib/options.js'
import { type Logger, silentLogger } from '../logger.js'
import type { ServerMetrics } from '../metrics/metrics.js'
import type { TokenStore } from '../store/types.js'
import { accessLog } from './access-log.js'
import { createAuthRouter } from './auth-router.js'
import type { ProxyHeader } from './client-address.js'
import { cors } from './cors.js'
import { errorHandler, toAuthError } from './error-handler.js'
import { noStoreOnAuth } from './no-store.js'
import type { RefreshTransportOptions } from './refresh-cookie.js'
import { requestId } from './request-id.js'
import { requestTarget } from './request-target.js'

/** Options of {@link createApp}. */
export interface AppOptions {
  /** The auth service (see `createAuthService`); it carries the keys and the clock. */
  auth: AuthService
  /** The store behind `auth`, asked by `/readyz`. */
  store: TokenStore
  /** Request and error logs. @default a logger that drops everything */
  logger?: Logger
  /** Browser origins allowed by CORS, e.g. `['http://localhost:5173']`. @default [] */
  corsOrigins?: readonly string[]
  /**
   * How login, refresh and logout carry the refresh token: body, `HttpOnly` cookie, or the
   * client's choice. The origins allowed to use the cookie are `corsOrigins` and the server's own.
   * @default { mode: 'both', cookieName: 'rk_refresh', secure: true, sameSite: 'strict', domain: null }
   */
  refreshTokenTransport?: Omit<RefreshTransportOptions, 'allowedOrigins'>
  /**
   * Trusted proxy hops in front of the server: the client address is then the Nth entry
   * from the right of `X-Forwarded-For` (`true` means 1, `false` 0: the socket's address),
   * and the server's own origin, for the cookie transport's origin check, the host and
   * protocol the outermost trusted proxy forwarded. See `clientAddressOf`. @default 0
   */
  trustProxy?: boolean | number
  /**
   * Which headers the trusted proxies write: `x-forwarded` (`X-Forwarded-For`, `-Host`,
   * `-Proto`) or `forwarded` (RFC 7239 `Forwarded`). Only that family is read: a proxy passes
   * the other one on as the client wrote it. See `ProxyHeader`. @default 'x-forwarded'
   */
  proxyHeader?: ProxyHeader
  /** `Retry-After` seconds of `503 service_unavailable`. @default 2 */
  unavailableRetryAfterSeconds?: number
  /**
   * `Cache-Control: public, max-age` of `GET /.well-known/jwks.json`, in seconds: how long
   * resource servers may keep the key set. @default 300
   */
  jwksMaxAgeSeconds?: number
  /**
   * Times every request into `refresh_kit_http_request_duration_seconds` (see
   * `createMetrics`); serve them apart with `startMetricsServer`. @default no metrics
   */
  metrics?: ServerMetrics
}

const ORIGINS_RULE: OptionRule = {
  schema: z.array(z.string()),
  problem: 'must be an array of origin strings',
}
const TRUST_PROXY_RULE: OptionRule = {
  ...integerRule(0),
  problem: 'must be a boolean or an integer >= 0',
}

/**
 * The token server as a Koa app, every dependency injected, so tests run it in-process with
 * `supertest(app.callback())` and `main.ts` only adds a port.
 *
 * @example
 * ```ts
 * const store = createMemoryStore()
 * const store = createMemoryStore()
 * const auth = createAuthService({ ...authSettingsOf(config), store, keys: createTokenKeys({ jwtSecret }) })
 * createApp({ auth, store }).listen(3000)
 * ```
 */
export function createApp(options: AppOptions): Koa {
  const { auth, store } = options
  const logger = options.logger ?? silentLogger
  const trustProxy = options.trustProxy ?? configDefault('TRUST_PROXY')
  // Checked at run time too: JavaScript callers get no compiler to tell them.
  const {
    corsOrigins,
    unavailableRetryAfterSeconds,
    jwksMaxAgeSeconds,
    trustProxy: trustedHops,
  } = checkOptions(
    'createApp',
    {
      auth,
      store,
      corsOrigins: options.corsOrigins ?? configDefault('CORS_ORIGINS'),
      unavailableRetryAfterSeconds:
        options.unavailableRetryAfterSeconds ?? OPTION_DEFAULTS.unavailableRetryAfterSeconds,
      jwksMaxAgeSeconds: options.jwksMaxAgeSeconds ?? OPTION_DEFAULTS.jwksMaxAgeSeconds,
      trustProxy: trustProxy === true ? 1 : trustProxy === false ? 0 : trustProxy,
    },
    {
      auth: requiredRule,
      store: requiredRule,
      corsOrigins: ORIGINS_RULE,
      unavailableRetryAfterSeconds: integerRule(1),
      jwksMaxAgeSeconds: integerRule(0),
      trustProxy: TRUST_PROXY_RULE,
    },
  )

  // Koa's own `proxy` would take X-Forwarded-For's left-most entry, which the client writes:
  // the router counts trusted hops itself, for the client address and its own origin.
  const app = new Koa()
  app.on('error', (error: unknown, ctx?: Koa.Context) => {
    const failure = toAuthError(error)
    const log: Logger = ctx?.state.log ?? logger
    log.error(failure.message, {
      code: failure.code,
      status: failure.status,
      cause: failure.cause ?? error,
    })
  })
  const router = createAuthRouter({
    auth,
    store,
    jwksMaxAgeSeconds,
    unavailableRetryAfterSeconds,
    refreshTokenTransport: { ...options.refreshTokenTransport, allowedOrigins: corsOrigins },
    trustProxy: trustedHops,
    ...(options.proxyHeader === undefined ? {} : { proxyHeader: options.proxyHeader }),
  })
  app.use(requestId(logger))
  if (options.metrics !== undefined) app.use(options.metrics.httpDuration())
  app.use(accessLog())
  app.use(errorHandler({ unavailableRetryAfterSeconds }))
  // Before anything reads the path, the host or the URL: a target Koa cannot parse would
  // otherwise fail mid-route, after a login's session was created.
  app.use(requestTarget())
  app.use(cors({ origins: corsOrigins }))
  app.use(noStoreOnAuth())
  app.use(router.routes())
  app.use(router.allowedMethods())
  return app
}
