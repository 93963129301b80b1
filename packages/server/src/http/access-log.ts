import { performance } from 'node:perf_hooks'
import type { Context, Middleware } from 'koa'
import type { RequestState } from './error-handler.js'

/**
 * The path for the log line. Koa's `ctx.path` throws on a target its URL parser refuses,
 * which `requestTarget()` answers `400`: the line of that answer must not turn it into a 500.
 */
function pathOf(ctx: Context): string | null {
  try {
    return ctx.path
  } catch {
    return null
  }
}

/**
 * Logs one line per request on its own logger once its status is known (after the error
 * middleware): method, path (without the query string, which a client may fill with
 * anything), status and duration; never a header or a body.
 */
export function accessLog(): Middleware<RequestState> {
  return async (ctx, next) => {
    const started = performance.now()
    try {
      await next()
    } finally {
      ctx.state.log.info('request', {
        method: ctx.method,
        path: pathOf(ctx),
        status: ctx.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      })
    }
  }
}
