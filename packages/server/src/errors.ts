import type { ErrorDetail, ServerErrorCode } from '@refresh-kit/shared'
import { statusOf } from '@refresh-kit/shared'

/** Options of {@link AuthError}. */
export interface AuthErrorOptions {
  /** Per-field problems, for `400 invalid_request`. @default none */
  details?: ErrorDetail[]
  /** Seconds for the `Retry-After` header (429, 503). @default none */
  retryAfterSeconds?: number
  /** What went wrong underneath; logged, never sent. @default none */
  cause?: unknown
}

const BRAND = Symbol.for('refresh-kit.server.AuthError')

/**
 * The server's one error family: a code of the HTTP contract, its `status`, a message, and,
 * as in Koa, `expose`: whether the message may be sent (every status below 500, and 503,
 * whose message is written for clients). The error middleware recognises it by its brand,
 * answers with the contract's error body, and logs it with its `cause`; anything else thrown
 * becomes `500 internal_error`.
 *
 * @example
 * ```ts
 * throw new AuthError('invalid_refresh_token', 'the refresh token is not valid')
 * ```
 */
export class AuthError extends Error {
  override readonly name: string = 'AuthError'
  readonly code: ServerErrorCode
  readonly status: number
  readonly details: ErrorDetail[] | undefined
  readonly retryAfterSeconds: number | undefined
  /** Whether `message` is meant for the client (Koa's `expose`). */
  readonly expose: boolean
  readonly [BRAND] = true

  constructor(code: ServerErrorCode, message: string, options: AuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = statusOf(code)
    this.details = options.details
    this.retryAfterSeconds = options.retryAfterSeconds
    this.expose = this.status < 500 || this.status === 503
  }
}

/**
 * The store's backing service cannot be reached or did not answer in time: the
 * `503 service_unavailable` of the family, its cause (the Redis error) kept for the log.
 *
 * @example
 * ```ts
 * throw new StoreUnavailableError(undefined, { cause: redisError })
 * ```
 */
export class StoreUnavailableError extends AuthError {
  override readonly name = 'StoreUnavailableError'
  constructor(
    message = 'the token store is unavailable; try again shortly',
    options: Omit<AuthErrorOptions, 'details'> = {},
  ) {
    super('service_unavailable', message, options)
  }
}

/**
 * Whether a value is an {@link AuthError}, also across two installed copies of this package.
 *
 * @example
 * ```ts
 * if (isAuthError(err) && err.code === 'rate_limited') backOff(err.retryAfterSeconds)
 * ```
 */
export function isAuthError(value: unknown): value is AuthError {
  return (
    typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true
  )
}
