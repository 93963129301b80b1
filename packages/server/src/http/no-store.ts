import type { Middleware } from 'koa'

/** `Cache-Control: no-store` on every `/auth/*` answer, errors included (RFC 6749 §5.1). */
export function noStoreOnAuth(): Middleware {
  return async (ctx, next) => {
    if (ctx.path === '/auth' || ctx.path.startsWith('/auth/')) {
      ctx.set('Cache-Control', 'no-store')
      ctx.set('Pragma', 'no-cache')
    }
    await next()
  }
}
