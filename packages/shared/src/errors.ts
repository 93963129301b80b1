/**
 * The error table of the HTTP contract, spelled once. The server answers with these codes
 * and statuses; the SDK reads them. The `ServerErrorCode` union is derived from this object,
 * so a code cannot exist in the type without a status and a description here.
 *
 * @example
 * ```ts
 * import { SERVER_ERRORS } from '@refresh-kit/shared'
 * SERVER_ERRORS.token_expired.status // 401
 * ```
 */
export const SERVER_ERRORS = {
  invalid_request: {
    status: 400,
    description: 'malformed JSON, missing or ill-typed field, field out of bounds',
  },
  invalid_credentials: {
    status: 401,
    description:
      'unknown user or wrong password, or a wrong current password (same body, same cost)',
  },
  missing_token: { status: 401, description: 'protected route without Authorization: Bearer' },
  invalid_token: {
    status: 401,
    description:
      'access token malformed, bad signature, wrong alg/typ/iss/aud/kid, a refresh token used as one, or its session ended',
  },
  token_expired: { status: 401, description: 'access token past exp beyond the clock tolerance' },
  invalid_refresh_token: {
    status: 401,
    description:
      'refresh token unknown, malformed, forged, expired or revoked, or its session is gone',
  },
  refresh_token_reused: {
    status: 401,
    description:
      'an already-rotated refresh token presented after the reuse grace window: the session is revoked',
  },
  insufficient_scope: {
    status: 403,
    description:
      'a valid access token without the scope or role the route requires (RFC 6750 §3.1)',
  },
  not_found: {
    status: 404,
    description: "unknown route, or a session id that is not the caller's",
  },
  method_not_allowed: { status: 405, description: 'known path, wrong method' },
  user_exists: { status: 409, description: 'register with a taken username' },
  payload_too_large: { status: 413, description: 'body over 16 KiB' },
  csrf_rejected: {
    status: 403,
    description: 'refresh cookie sent without the transport header, or from another origin',
  },
  unsupported_media_type: { status: 415, description: 'body with a content type other than JSON' },
  rate_limited: { status: 429, description: 'too many failed logins (with Retry-After)' },
  internal_error: { status: 500, description: 'a bug; logged server-side with a request id' },
  service_unavailable: {
    status: 503,
    description: 'the token store is unreachable (with Retry-After), answered within 2 s',
  },
} as const satisfies Record<string, { readonly status: number; readonly description: string }>

/** A stable error code the token server puts in the `error` field of an error body. */
export type ServerErrorCode = keyof typeof SERVER_ERRORS

/**
 * Codes the client SDK raises on its own, where no server answer carries one.
 *
 * @example
 * ```ts
 * if (err.code === 'session_expired') showLogin()
 * ```
 */
export const CLIENT_ERRORS = {
  session_expired: {
    description: 'the refresh token was rejected: tokens were cleared, the user must sign in again',
  },
  network_error: { description: 'no response arrived (connection refused, reset or offline)' },
  refresh_timeout: { description: 'the refresh request did not answer within its timeout' },
  request_not_replayable: {
    description: 'a request that must be replayed after a refresh has a body that cannot be resent',
  },
  storage_unreadable: {
    description:
      'the token storage holds something other than refresh-kit tokens (empty, garbled, or the data of another program): nothing was cleared',
  },
  storage_unavailable: {
    description:
      'the token storage could not be reached (no OS keychain service, or its library is not installed): nothing was cleared',
  },
  storage_insecure: {
    description:
      'the token file can be read by other users (group or world permissions) or belongs to another user: it is not used',
  },
} as const satisfies Record<string, { readonly description: string }>

/** A code the SDK raises itself. */
export type ClientErrorCode = keyof typeof CLIENT_ERRORS

/** Every code an `AuthError` of the SDK can carry. */
export type AuthErrorCode = ServerErrorCode | ClientErrorCode

/** Every server error code, in table order. */
export const SERVER_ERROR_CODES = /*#__PURE__*/ Object.keys(
  SERVER_ERRORS,
) as readonly ServerErrorCode[]

/**
 * Whether a value is one of the server's error codes.
 *
 * @example
 * ```ts
 * isServerErrorCode(body.error) // narrows body.error to ServerErrorCode
 * ```
 */
export function isServerErrorCode(value: unknown): value is ServerErrorCode {
  return typeof value === 'string' && Object.hasOwn(SERVER_ERRORS, value)
}

/**
 * The HTTP status that goes with a server error code.
 *
 * @example
 * ```ts
 * statusOf('rate_limited') // 429
 * ```
 */
export function statusOf(code: ServerErrorCode): number {
  return SERVER_ERRORS[code].status
}
