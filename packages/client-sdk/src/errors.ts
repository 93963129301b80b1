import type { AuthErrorCode } from '@refresh-kit/shared'
import { CLIENT_ERRORS, isServerErrorCode } from '@refresh-kit/shared'

/** The brand every `AuthError` carries, shared by every copy of the package in one realm. */
const BRAND = Symbol.for('refresh-kit.AuthError')

/** What an {@link AuthError} carries besides its code. */
export interface AuthErrorOptions {
  /** Human-readable text. @default the description of the code in `@refresh-kit/shared` */
  message?: string
  /** HTTP status of the answer that caused it. @default undefined (no answer arrived) */
  status?: number
  /** Whether trying again later may succeed (network trouble, timeout, 5xx, 429). @default false */
  retryable?: boolean
  /** The underlying error (an axios error, a network error). */
  cause?: unknown
}

/**
 * The one error class of the SDK. `code` is one of the codes in `@refresh-kit/shared`: the
 * server's `error` field when an answer carried one, else a client code (`session_expired`,
 * `network_error`, `refresh_timeout`, `request_not_replayable`). Check it with
 * {@link isAuthError}, which also recognises errors from another copy of the package.
 *
 * @example
 * ```ts
 * try { await auth.http.get('/auth/me') } catch (error) {
 *   if (isAuthError(error) && error.code === 'session_expired') showLogin()
 * }
 * ```
 */
export class AuthError extends Error {
  override readonly name = 'AuthError'
  /** A stable code from `SERVER_ERRORS` or `CLIENT_ERRORS` of `@refresh-kit/shared`. */
  readonly code: AuthErrorCode
  /** HTTP status of the answer that caused the error, `undefined` when none arrived. */
  readonly status: number | undefined
  /** Whether trying again later may succeed; the tokens were kept. */
  readonly retryable: boolean
  readonly [BRAND] = true

  constructor(code: AuthErrorCode, options: AuthErrorOptions = {}) {
    super(
      options.message ??
        (code in CLIENT_ERRORS
          ? CLIENT_ERRORS[code as keyof typeof CLIENT_ERRORS].description
          : code),
      { cause: options.cause },
    )
    this.code = code
    this.status = options.status
    this.retryable = options.retryable ?? false
  }
}

/**
 * Whether a value is an {@link AuthError}, by its brand rather than `instanceof`, so an error
 * thrown by a second installed copy of the SDK is recognised too.
 *
 * @example
 * ```ts
 * if (isAuthError(error) && error.retryable) scheduleRetry()
 * ```
 */
export function isAuthError(value: unknown): value is AuthError {
  return (
    typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true
  )
}

interface ResponseLike {
  status?: unknown
  data?: { error?: unknown; message?: unknown } | null
  headers?: { get?: (name: string) => unknown } & Record<string, unknown>
}

/** Whether the status says "try again later" rather than "this will never work". */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}

/** `Retry-After` in milliseconds (seconds or an HTTP date), or 0 when absent or unreadable. */
export function retryAfterMs(error: unknown, now: number): number {
  const headers = (error as { response?: ResponseLike } | null)?.response?.headers
  const raw =
    typeof headers?.get === 'function' ? headers.get('retry-after') : headers?.['retry-after']
  if (typeof raw !== 'string' && typeof raw !== 'number') return 0
  const seconds = Number(raw)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(String(raw)) - now
  return Math.max(ms || 0, 0) // NaN (an unreadable date) counts as absent
}

/**
 * Turns whatever a request threw into an `AuthError`: an `AuthError` stays as it is; an error
 * carrying an HTTP `response` (axios, ky and most clients) keeps its status and the server's
 * code; anything else is a retryable `network_error`.
 */
export function toAuthError(error: unknown): AuthError {
  if (isAuthError(error)) return error
  const response = (error as { response?: ResponseLike } | null)?.response
  const status = response?.status
  if (typeof status !== 'number') {
    return new AuthError('network_error', { retryable: true, cause: error })
  }
  const body = response?.data
  const code = isServerErrorCode(body?.error)
    ? body.error
    : status === 429
      ? 'rate_limited'
      : status === 500
        ? 'internal_error'
        : status > 500
          ? 'service_unavailable'
          : status === 401
            ? 'invalid_token'
            : 'invalid_request'
  return new AuthError(code, {
    ...(typeof body?.message === 'string' && { message: body.message }),
    status,
    retryable: isTransientStatus(status),
    cause: error,
  })
}
