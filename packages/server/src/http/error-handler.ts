import type { ErrorBody, ServerErrorCode } from '@refresh-kit/shared'
import { SERVER_ERRORS } from '@refresh-kit/shared'
import type { Context, Middleware } from 'koa'
import { AuthError, isAuthError } from '../errors.js'
import { StoreUnavailableError } from '../store/types.js'

/** Options of {@link errorHandler}. */
export interface ErrorHandlerOptions {
  /** `Retry-After` seconds of `503 service_unavailable`. @default 2 */
  unavailableRetryAfterSeconds?: number
}

// Errors that Koa and its middleware raise with a client status, by that status.
const CLIENT_STATUS: Record<number, ServerErrorCode> = {
  400: 'invalid_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
}

function send(ctx: Context, status: number, body: ErrorBody): void {
  ctx.status = status
  ctx.type = 'application/json'
  ctx.body = body
}

function bodyOf(error: AuthError): ErrorBody {
  return error.details === undefined
    ? { error: error.code, message: error.message }
    : { error: error.code, message: error.message, details: error.details }
}

function isStoreUnavailable(error: unknown): boolean {
  return (
    error instanceof StoreUnavailableError ||
    (error as Error | null)?.name === 'StoreUnavailableError'
  )
}

/**
 * The first middleware: turns an {@link AuthError} into the contract's error body and status,
 * a store outage into `503 service_unavailable` with `Retry-After`, an unmatched route into
 * `404`/`405`, and anything else into `500 internal_error`, reported with
 * `app.emit('error', err, ctx)` and never detailed to the client.
 */
export function errorHandler(options: ErrorHandlerOptions = {}): Middleware {
  const retryAfter = options.unavailableRetryAfterSeconds ?? 2
  return async (ctx, next) => {
    try {
      await next()
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) throw new AuthError('not_found', 'no such route')
        // The router leaves 405 (and 501 for a method it does not know) with an Allow header.
        if (ctx.status === 405 || ctx.status === 501) {
          throw new AuthError('method_not_allowed', `${ctx.method} is not allowed here`)
        }
      }
    } catch (error) {
      if (isAuthError(error)) {
        if (error.retryAfterSeconds !== undefined)
          ctx.set('Retry-After', String(error.retryAfterSeconds))
        send(ctx, error.status, bodyOf(error))
        return
      }
      if (isStoreUnavailable(error)) {
        ctx.set('Retry-After', String(retryAfter))
        send(ctx, 503, {
          error: 'service_unavailable',
          message: 'the token store is unavailable; try again shortly',
        })
        return
      }
      const status = (error as { status?: unknown } | null)?.status
      const code = typeof status === 'number' ? CLIENT_STATUS[status] : undefined
      if (code !== undefined) {
        send(ctx, SERVER_ERRORS[code].status, {
          error: code,
          message: SERVER_ERRORS[code].description,
        })
        return
      }
      // Whatever the error says stays in the server log.
      send(ctx, 500, { error: 'internal_error', message: 'an internal error occurred' })
      ctx.app.emit('error', error, ctx)
    }
  }
}
