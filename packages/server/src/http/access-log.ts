import { performance } from 'node:perf_hooks'
import type { Middleware } from 'koa'
import type { RequestState } from './error-handler.js'

/** Logs one line per request on its own logger once its status is known (after the error middleware). */
export function accessLog(): Middleware<RequestState> {
  return async (ctx, next) => {
    const started = performance.now()
    try {
      await next()
    } finally {
      ctx.state.log.info('request', {
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      })
    }
  }
}
