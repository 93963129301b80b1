import { REFRESH_TOKEN_TRANSPORT_HEADER } from '@refresh-kit/shared'
import { AuthError } from '../errors.js'

/** What a request asked for in `X-Refresh-Token-Transport`: nothing is `''`. */
export type RequestedTransport = '' | 'cookie' | 'body'

/**
 * Reads the value of `X-Refresh-Token-Transport`, caseless and trimmed.
 *
 * @throws AuthError `400 invalid_request` for any value but `cookie` or `body`.
 * @example
 * ```ts
 * requestedTransport(ctx.get('X-Refresh-Token-Transport')) // 'cookie'
 * ```
 */
export function requestedTransport(header: string): RequestedTransport {
  const value = header.trim().toLowerCase()
  if (value !== '' && value !== 'cookie' && value !== 'body') {
    throw new AuthError(
      'invalid_request',
      `${REFRESH_TOKEN_TRANSPORT_HEADER} must be cookie or body`,
      { details: [{ field: REFRESH_TOKEN_TRANSPORT_HEADER, problem: 'must be cookie or body' }] },
    )
  }
  return value
}

/** What the CSRF rule reads of a request that the refresh cookie authenticates. */
export interface CookieRequest {
  /** The value of `X-Refresh-Token-Transport`, as sent (`''` when absent). */
  transportHeader: string
  /** The `Origin` header, `''` when absent. */
  origin: string
  /** The server's own origin, as the trusted proxies forwarded it. */
  ownOrigin: string
}

/**
 * The CSRF rule of the refresh cookie: a request it authenticates must carry
 * `X-Refresh-Token-Transport: cookie` (a custom header cannot be sent cross-site without a
 * CORS preflight) and, when it has an `Origin`, come from the server's own origin or an
 * allowed one. Checked before anything is rotated or revoked.
 *
 * @throws AuthError `403 csrf_rejected` when the rule is broken, `400 invalid_request` for
 *   a transport header that is neither `cookie` nor `body`.
 * @example
 * ```ts
 * rejectCookieForgery({ transportHeader: 'cookie', origin: 'https://app.example.com', ownOrigin: 'https://auth.example.com' }, new Set(['https://app.example.com']))
 * ```
 */
export function rejectCookieForgery(
  request: CookieRequest,
  allowedOrigins: ReadonlySet<string>,
): void {
  if (requestedTransport(request.transportHeader) !== 'cookie') {
    throw new AuthError(
      'csrf_rejected',
      `a request authenticated by the refresh cookie must send ${REFRESH_TOKEN_TRANSPORT_HEADER}: cookie`,
    )
  }
  const { origin, ownOrigin } = request
  if (origin !== '' && origin !== ownOrigin && !allowedOrigins.has(origin)) {
    throw new AuthError('csrf_rejected', 'this origin may not use the refresh cookie')
  }
}
