import { MAX_BODY_BYTES } from '@refresh-kit/shared'
import type { Middleware } from 'koa'
import bodyParser from 'koa-bodyparser'
import { AuthError } from '../errors.js'

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  if (headers['transfer-encoding'] !== undefined) return true
  const length = headers['content-length']
  return length !== undefined && length !== '0'
}

/**
 * Parses a JSON object body into `ctx.request.body` with the contract's errors: `415` for a
 * body of another type, `413` over 16 KiB, `400` for malformed JSON or a JSON value that is
 * not an object. A request without a body gets `{}`.
 */
export function jsonBody(): Middleware {
  const parse = bodyParser({
    enableTypes: ['json'],
    jsonLimit: MAX_BODY_BYTES,
    strict: true,
  } as bodyParser.Options & { jsonLimit: number })
  return async (ctx, next) => {
    if (hasBody(ctx.req.headers) && ctx.request.is('application/json') === false) {
      throw new AuthError('unsupported_media_type', 'the request body must be application/json')
    }
    try {
      await parse(ctx, async () => {})
    } catch (error) {
      const status = (error as { status?: unknown }).status
      if (status === 413) {
        throw new AuthError(
          'payload_too_large',
          `the request body exceeds ${MAX_BODY_BYTES} bytes`,
          {
            cause: error,
          },
        )
      }
      if (status === 415) {
        throw new AuthError('unsupported_media_type', 'unsupported body encoding or charset', {
          cause: error,
        })
      }
      throw new AuthError('invalid_request', 'the request body is not valid JSON', { cause: error })
    }
    const body: unknown = ctx.request.body
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new AuthError('invalid_request', 'the request body must be a JSON object')
    }
    await next()
  }
}
