import { performance } from 'node:perf_hooks'
import type { Middleware } from 'koa'
import type { Logger } from '../logger.js'

/** Logs one line per request once its status is known (after the error middleware). */
export function accessLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = performance.now()
    try {
      await next()
    } finally {
      logger.info('request', {
        requestId: ctx.state.requestId,
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      })
    }
  }
}
