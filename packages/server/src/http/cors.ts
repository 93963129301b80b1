import type { Middleware } from 'koa'

/** Options of {@link cors}. */
export interface CorsOptions {
  /** Exact origins allowed to call the API from a browser, e.g. `http://localhost:5173`. @default [] */
  origins?: readonly string[]
  /** How long a browser may cache a preflight answer, in seconds. @default 600 */
  maxAgeSeconds?: number
}

const ALLOW_METHODS = 'GET, POST, DELETE'
const ALLOW_HEADERS = 'Authorization, Content-Type, X-Request-Id'
const EXPOSE_HEADERS = 'Retry-After, X-Request-Id, WWW-Authenticate'

/**
 * CORS for an explicit list of origins, no credentials (tokens travel in headers and bodies,
 * never cookies). Answers preflights itself; other origins get no CORS headers at all.
 */
export function cors(options: CorsOptions = {}): Middleware {
  const origins = new Set(options.origins ?? [])
  const maxAge = String(options.maxAgeSeconds ?? 600)
  return async (ctx, next) => {
    ctx.vary('Origin')
    const origin = ctx.get('Origin')
    if (origin === '' || !origins.has(origin)) {
      await next()
      return
    }
    ctx.set('Access-Control-Allow-Origin', origin)
    if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method') !== '') {
      ctx.set('Access-Control-Allow-Methods', ALLOW_METHODS)
      ctx.set('Access-Control-Allow-Headers', ALLOW_HEADERS)
      ctx.set('Access-Control-Max-Age', maxAge)
      ctx.status = 204
      return
    }
    ctx.set('Access-Control-Expose-Headers', EXPOSE_HEADERS)
    await next()
  }
}
