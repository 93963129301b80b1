import type { AuthErrorCode, ErrorDetail } from '@refresh-kit/shared'

/**
 * An error code: one of the known codes of `@refresh-kit/shared`, or any other string, so a
 * code from a newer server (or another backend) passes through intact and still autocompletes.
 *
 * @example
 * ```ts
 * const code: AuthErrorCodeLike = error.code // 'session_expired', ..., or 'mfa_required'
 * ```
 */
export type AuthErrorCodeLike = AuthErrorCode | (string & {})

/** The brand every `AuthError` carries, shared by every copy of the package in one realm. */
const BRAND = Symbol.for('refresh-kit.AuthError')

/** What an {@link AuthError} carries besides its code. */
export interface AuthErrorOptions {
  /** Human-readable text. @default the code */
  message?: string
  /** HTTP status of the answer that caused it. @default undefined (no answer arrived) */
  status?: number | undefined
  /** Whether trying again later may succeed (network trouble, timeout, 5xx, 429). @default false */
  retryable?: boolean
  /** What the server found wrong with each field of the request (`400 invalid_request`). @default undefined */
  details?: ErrorDetail[] | undefined
  /** Seconds to wait before trying again, from the answer's `Retry-After` (`429`, `503`). @default undefined */
  retryAfter?: number | undefined
  /**
   * The underlying error (an axios error, a network error). Only its name, message and code
   * are kept: a request's body, headers and config, which may hold a password, a refresh token
   * or an `Authorization` header, never reach the `AuthError`.
   */
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
  // `declare`: set in the constructor only, so no field initialisers are emitted for them.
  /** A stable code from `SERVER_ERRORS` or `CLIENT_ERRORS` of `@refresh-kit/shared`, or a newer server's own. */
  declare readonly code: AuthErrorCodeLike
  /** HTTP status of the answer that caused the error, `undefined` when none arrived. */
  declare readonly status: number | undefined
  /** Whether trying again later may succeed; the tokens were kept. */
  declare readonly retryable: boolean
  /**
   * What the server found wrong with each field, when it said (`400 invalid_request`), e.g.
   * `[{ field: 'password', problem: 'is a commonly used password' }]`. Never the value itself.
   */
  declare readonly details?: ErrorDetail[]
  /** Seconds to wait before trying again, when the answer's `Retry-After` said (`429`, `503`). */
  declare readonly retryAfter?: number
  readonly [BRAND] = true

  constructor(code: AuthErrorCodeLike, options: AuthErrorOptions = {}) {
    // The descriptions of CLIENT_ERRORS stay out of the bundle: each throw site says what happened.
    super(options.message ?? code, 'cause' in options ? { cause: redact(options.cause) } : {})
    this.code = code
    this.status = options.status
    this.retryable = options.retryable ?? false
    // Only when present, so an error without them prints as before.
    if (options.details) this.details = options.details
    if (options.retryAfter) this.retryAfter = options.retryAfter
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

/**
 * What of an underlying error is safe to keep: an axios or fetch error holds the request's
 * config, body and headers (a password, a refresh token, the bearer), so only its name,
 * message and code survive, as a plain `Error`. An `AuthError` is already safe.
 */
function redact(cause: unknown): unknown {
  if (cause === undefined || isAuthError(cause)) return cause
  const { name, message, code } = (cause ?? {}) as {
    name?: unknown
    message?: unknown
    code?: unknown
  }
  return Object.assign(new Error(typeof message === 'string' ? message : 'failed'), {
    name: String(name ?? 'Error'),
    ...(code !== undefined && { code: String(code) }),
  })
}

interface ResponseLike {
  status?: unknown
  data?: { error?: unknown; message?: unknown; details?: unknown } | null
  headers?: { get?: (name: string) => unknown }
}

/** Whether the status says "try again later" rather than "this will never work". */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}

/** `Retry-After` (in seconds, the form the token server sends) in milliseconds; 0 when absent. */
export function retryAfterMs(error: unknown): number {
  // axios's AxiosHeaders and fetch's Headers both have get().
  const raw = (error as { response?: ResponseLike } | null)?.response?.headers?.get?.('retry-after')
  return Math.max(Number(raw) * 1000 || 0, 0)
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
  // The server's own code, as it sent it: checking it against the table would ship the whole
  // table to every browser, and another backend's codes are worth passing on too.
  const code: AuthErrorCodeLike =
    typeof body?.error === 'string'
      ? body.error
      : status === 429
        ? 'rate_limited'
        : status >= 500
          ? 'service_unavailable'
          : 'invalid_request'
  return new AuthError(code, {
    ...(typeof body?.message === 'string' && { message: body.message }),
    status,
    retryable: isTransientStatus(status),
    // Field names and problems only: the server never echoes a value it refused.
    ...(Array.isArray(body?.details) && { details: body.details }),
    retryAfter: retryAfterMs(error) / 1000,
    cause: error,
  })
}

/** Rejects with what {@link toAuthError} makes of `error`: the `catch` of every account call. */
export const rethrow = (error: unknown): never => {
  throw toAuthError(error)
}
