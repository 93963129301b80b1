import { MAX_BODY_BYTES } from '@refresh-kit/shared'
import type { Middleware } from 'koa'
import bodyParser from 'koa-bodyparser'
import { AuthError } from '../errors.js'

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  if (headers['transfer-encoding'] !== undefined) return true
  const length = headers['content-length']
  return length !== undefined && length !== '0'
}

/** Why the body parser refused a body, without the body: what the error log keeps of it. */
export class BodyParserFailure extends Error {
  override readonly name = 'BodyParserFailure'
  /** The parser's status (`400`, `413`, `415`), when it gave one. */
  readonly status: number | undefined
  /** The parser's kind of failure (`entity.parse.failed`, `entity.too.large`, ...), when it gave one. */
  readonly type: string | undefined

  constructor(status: number | undefined, type: string | undefined, kind: string) {
    super(
      `the body parser refused the body: ${type ?? kind}${status === undefined ? '' : ` (${status})`}`,
    )
    this.status = status
    this.type = type
  }
}

/**
 * The parser's error reduced to its status and kind. The error itself must not reach a log:
 * co-body keeps the raw body on it (`body`), and JSON.parse's message quotes it, passwords
 * and refresh tokens included.
 */
function parserFailure(error: unknown): BodyParserFailure {
  const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown }
  const kind = error instanceof Error ? error.constructor.name : typeof error
  return new BodyParserFailure(
    typeof status === 'number' ? status : undefined,
    typeof type === 'string' && /^[a-z.]{1,40}$/.test(type) ? type : undefined,
    kind,
  )
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
      const cause = parserFailure(error)
      if (cause.status === 413) {
        throw new AuthError(
          'payload_too_large',
          `the request body exceeds ${MAX_BODY_BYTES} bytes`,
          { cause },
        )
      }
      if (cause.status === 415) {
        throw new AuthError('unsupported_media_type', 'unsupported body encoding or charset', {
          cause,
        })
      }
      throw new AuthError('invalid_request', 'the request body is not valid JSON', { cause })
    }
    const body: unknown = ctx.request.body
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new AuthError('invalid_request', 'the request body must be a JSON object')
    }
    await next()
  }
}
