import koaCors from '@koa/cors'
import { REFRESH_TOKEN_TRANSPORT_HEADER } from '@refresh-kit/shared'
import type { Middleware } from 'koa'

/** Options of {@link cors}. */
export interface CorsOptions {
  /** Exact origins allowed to call the API from a browser, e.g. `http://localhost:5173`. @default [] */
  origins?: readonly string[]
  /** How long a browser may cache a preflight answer, in seconds. @default 600 */
  maxAgeSeconds?: number
}

/**
 * Credentialed CORS (through `@koa/cors`) for an explicit list of origins: they may send the
 * refresh cookie and the transport header. Any other origin gets no CORS headers at all, so
 * its preflight fails and a browser never sends it the cookie-authenticated request.
 */
export function cors(options: CorsOptions = {}): Middleware {
  const origins = new Set(options.origins ?? [])
  return koaCors({
    origin: (ctx) => {
      const origin = ctx.get('Origin')
      return origins.has(origin) ? origin : ''
    },
    credentials: true,
    allowMethods: ['GET', 'POST', 'DELETE'],
    allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', REFRESH_TOKEN_TRANSPORT_HEADER],
    exposeHeaders: ['Retry-After', 'X-Request-Id', 'WWW-Authenticate'],
    maxAge: options.maxAgeSeconds ?? 600,
  })
}
