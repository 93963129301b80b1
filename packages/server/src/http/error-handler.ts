import { type ErrorBody, SERVER_ERRORS, type ServerErrorCode } from '@refresh-kit/shared'
import type { Context, Middleware } from 'koa'
import { AuthError, isAuthError } from '../errors.js'
import { type Logger, silentLogger } from '../logger.js'

/** Options of {@link errorHandler}. */
export interface ErrorHandlerOptions {
  /** `Retry-After` seconds of a `503 service_unavailable` that names none itself. */
  unavailableRetryAfterSeconds: number
}

/** What the request's state holds once `requestId()` has run. */
export interface RequestState {
  requestId: string
  /** The request's logger, bound to its id. */
  log: Logger
}

// Errors that Koa and its middleware raise with a client status (http-errors: `status` and
// `expose`), by that status.
const CLIENT_STATUS: Record<number, ServerErrorCode> = {
  400: 'invalid_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
}

/**
 * Any thrown value as a member of the one family: an `AuthError` (the store's outage error
 * included) as it is; an error Koa raised with a client status and `expose` as the code of
 * that status, the original kept as `cause`; anything else as `500 internal_error`, its
 * message never sent.
 */
export function toAuthError(error: unknown): AuthError {
  if (isAuthError(error)) return error
  const { status, expose } = (error ?? {}) as { status?: unknown; expose?: unknown }
  const code = typeof status === 'number' && expose === true ? CLIENT_STATUS[status] : undefined
  if (code !== undefined) {
    return new AuthError(code, SERVER_ERRORS[code].description, { cause: error })
  }
  return new AuthError('internal_error', 'an internal error occurred', { cause: error })
}

function bodyOf(error: AuthError): ErrorBody {
  const message = error.expose ? error.message : 'an internal error occurred'
  return error.details === undefined
    ? { error: error.code, message }
    : { error: error.code, message, details: error.details }
}

function send(ctx: Context, error: AuthError, retryAfter: number): void {
  const seconds = error.retryAfterSeconds ?? (error.status === 503 ? retryAfter : undefined)
  if (seconds !== undefined) ctx.set('Retry-After', String(seconds))
  ctx.status = error.status
  ctx.type = 'application/json'
  ctx.body = bodyOf(error)
}

/**
 * The first middleware after the request id: turns anything thrown into the contract's error
 * body through {@link toAuthError}, and logs every answered error with its `cause` on the
 * request's logger: a 4xx at `debug`, a 503 at `warn`; a 500 is reported with
 * `app.emit('error', err, ctx)`, which `createApp` logs at `error`.
 */
export function errorHandler(options: ErrorHandlerOptions): Middleware {
  const retryAfter = options.unavailableRetryAfterSeconds
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
    } catch (thrown) {
      const error = toAuthError(thrown)
      send(ctx, error, retryAfter)
      if (error.status >= 500 && error.status !== 503) {
        ctx.app.emit('error', thrown, ctx)
        return
      }
      const log = (ctx.state as Partial<RequestState>).log ?? silentLogger
      const fields = {
        code: error.code,
        status: error.status,
        ...(error.cause === undefined ? {} : { cause: error.cause }),
      }
      if (error.status === 503) log.warn(error.message, fields)
      else log.debug(error.message, fields)
    }
  }
}
