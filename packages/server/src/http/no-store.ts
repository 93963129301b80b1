import type { Middleware } from 'koa'

/**
 * `Cache-Control: no-store` on every `/auth/*` answer (under `prefix` when the routes are
 * mounted under one), errors included (RFC 6749 §5.1).
 */
export function noStoreOnAuth(prefix = ''): Middleware {
  const root = `${prefix}/auth`
  return async (ctx, next) => {
    if (ctx.path === root || ctx.path.startsWith(`${root}/`)) {
      ctx.set('Cache-Control', 'no-store')
      ctx.set('Pragma', 'no-cache')
    }
    await next()
  }
}
