import type { Context, Middleware } from 'koa'
import { AuthError } from '../errors.js'

const ABSOLUTE_FORM = /^https?:\/\//i

/**
 * Whether a request line's target is one the server can route: origin-form (`/auth/login?x`),
 * absolute-form with an `http`/`https` URL whose host and port are valid
 * (`http://auth.example.com/auth/login`, which RFC 9112 §3.2.2 says a server must accept),
 * or `*` for `OPTIONS`. Node's parser lets through targets that `new URL` refuses
 * (`http://[/auth/refresh`, `http://x:99999/auth/login`, `ftp://x/`), some of which make
 * Koa's `ctx.path` throw too.
 *
 * @example
 * ```ts
 * isRoutableTarget('POST', '/auth/login') // true
 * isRoutableTarget('POST', 'http://x:99999/auth/login') // false
 * ```
 */
export function isRoutableTarget(method: string, target: string): boolean {
  if (target === '*') return method === 'OPTIONS'
  let url: URL
  try {
    if (target.startsWith('/')) url = new URL(target, 'http://localhost')
    else if (ABSOLUTE_FORM.test(target)) url = new URL(target)
    else return false
  } catch {
    return false
  }
  return target.startsWith('/') || url.host !== ''
}

/**
 * Refuses a request whose target cannot be routed (see {@link isRoutableTarget}) with
 * `400 invalid_request`, so nothing reads a path, a host or a URL of it: run it before any
 * middleware that does (the access log, metrics, the routes).
 *
 * @throws AuthError `400 invalid_request` for a malformed request target.
 */
export function assertRoutableTarget(ctx: Pick<Context, 'method' | 'originalUrl' | 'path'>): void {
  let routable = isRoutableTarget(ctx.method, ctx.originalUrl)
  try {
    // What Koa and the router read the path with (parseurl): it must not throw later, mid-request.
    if (routable) void ctx.path
  } catch {
    routable = false
  }
  if (!routable) throw new AuthError('invalid_request', 'the request target is malformed')
}

/**
 * The middleware of {@link assertRoutableTarget}, for the top of an app, inside the error
 * middleware: a malformed target is answered `400` before CORS, the routes or a session.
 */
export function requestTarget(): Middleware {
  return (ctx, next) => {
    assertRoutableTarget(ctx)
    return next()
  }
}
