import { randomUUID } from 'node:crypto'
import type { Middleware } from 'koa'
import { childLogger, type Logger } from '../logger.js'

/** The header that carries a request's id, in and out. */
export const REQUEST_ID_HEADER = 'X-Request-Id'

// Accept a caller's id only when it is short and harmless in a log line (the contract's pattern).
const SANE_ID = /^[A-Za-z0-9._-]{1,64}$/

/**
 * Gives every request an id (a sane incoming `X-Request-Id`, or a new UUID) and a logger
 * bound to it: `ctx.state.requestId` and `ctx.state.log`, the id echoed in the response
 * header, so every line a request logs carries its id.
 */
export function requestId(logger: Logger): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get(REQUEST_ID_HEADER)
    const id = SANE_ID.test(incoming) ? incoming : randomUUID()
    ctx.state.requestId = id
    ctx.state.log = childLogger(logger, { requestId: id })
    ctx.set(REQUEST_ID_HEADER, id)
    await next()
  }
}
