import { randomUUID } from 'node:crypto'
import type { Middleware } from 'koa'

/** The header that carries a request's id, in and out. */
export const REQUEST_ID_HEADER = 'X-Request-Id'

// Accept a caller's id only when it is short and harmless in a log line (the contract's pattern).
const SANE_ID = /^[A-Za-z0-9._-]{1,64}$/

/**
 * Gives every request an id: a sane incoming `X-Request-Id`, or a new UUID. It is stored in
 * `ctx.state.requestId`, echoed in the response header, and used in every log line.
 */
export function requestId(): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get(REQUEST_ID_HEADER)
    const id = SANE_ID.test(incoming) ? incoming : randomUUID()
    ctx.state.requestId = id
    ctx.set(REQUEST_ID_HEADER, id)
    await next()
  }
}
