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
 * An error the client is meant to see: a code of the HTTP contract, its status, and a
 * message for humans. The error middleware turns it into the contract's error body; anything
 * else thrown becomes `500 internal_error`.
 *
 * @example
 * ```ts
 * throw new AuthError('invalid_refresh_token', 'the refresh token is not valid')
 * ```
 */
export class AuthError extends Error {
  override readonly name = 'AuthError'
  readonly code: ServerErrorCode
  readonly status: number
  readonly details: ErrorDetail[] | undefined
  readonly retryAfterSeconds: number | undefined
  readonly [BRAND] = true

  constructor(code: ServerErrorCode, message: string, options: AuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = statusOf(code)
    this.details = options.details
    this.retryAfterSeconds = options.retryAfterSeconds
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
