import type { Middleware } from 'koa'

/**
 * `Cache-Control: no-store` on every `/auth/*` answer (under `prefix` when the routes are
 * mounted under one), errors included (RFC 6749 §5.1), whatever the case of the path: the
 * router matches `/AUTH/LOGIN` too, and its tokens must not be cached either.
 */
export function noStoreOnAuth(prefix = ''): Middleware {
  const root = `${prefix}/auth`.toLowerCase()
  return async (ctx, next) => {
    const path = ctx.path.toLowerCase()
    if (path === root || path.startsWith(`${root}/`)) {
      ctx.set('Cache-Control', 'no-store')
      ctx.set('Pragma', 'no-cache')
    }
    await next()
  }
}
