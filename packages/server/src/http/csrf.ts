import { REFRESH_TOKEN_TRANSPORT_HEADER } from '@refresh-kit/shared'
import { AuthError } from '../errors.js'
import { forwardedOrigin, type ProxySettings } from './client-address.js'

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

/** What the CSRF rule reads of a request that the refresh cookie would authenticate. */
export interface CookieRequest {
  /**
   * A header of the request by name, in any case, `''` when absent (as Koa's `ctx.get`): the
   * rule reads `X-Refresh-Token-Transport`, `Origin`, and the forwarded host and protocol.
   */
  header(name: string): string
  /** The protocol the request reached this server with, `http` or `https` (`ctx.protocol`). */
  protocol: string
  /** The host it asked this server for, from `Host` (`ctx.host`). */
  host: string
}

/** Whom the CSRF rule lets use the refresh cookie. */
export interface CookiePolicy {
  /** Browser origins, besides the server's own, that may use it: `CORS_ORIGINS`. */
  allowedOrigins: ReadonlySet<string>
  /** The trusted proxies in front of the server (`TRUST_PROXY`, `PROXY_HEADER`). */
  proxy: ProxySettings
}

/** What the CSRF rule decided, and when it refuses, why, in a message that says what to fix. */
export type CookieDecision =
  | { allowed: true }
  | { allowed: false; reason: 'transport-header'; message: string }
  | { allowed: false; reason: 'origin'; origin: string; ownOrigin: string; message: string }

/** Longer than any origin a browser sends; a longer header is cut in the message. */
const MAX_SHOWN_ORIGIN = 200

const shown = (origin: string) =>
  origin.length > MAX_SHOWN_ORIGIN ? `${origin.slice(0, MAX_SHOWN_ORIGIN)}…` : origin

/**
 * The server's own origin: the protocol and host the outermost trusted proxy forwarded, else
 * those the request reached this server with. Never the left-most forwarded value, which the
 * client writes.
 *
 * @example
 * ```ts
 * // one trusted hop; X-Forwarded-Host: evil.example, app.example.com; X-Forwarded-Proto: https
 * ownOrigin(request, { trustedHops: 1 }) // 'https://app.example.com'
 * ```
 */
export function ownOrigin(request: CookieRequest, proxy: ProxySettings): string {
  const forwarded = forwardedOrigin({ get: (name) => request.header(name) }, proxy)
  return `${forwarded.proto ?? request.protocol}://${forwarded.host ?? request.host}`
}

/**
 * The CSRF rule of the refresh cookie: a request it authenticates must carry
 * `X-Refresh-Token-Transport: cookie` (a custom header cannot be sent cross-site without a
 * CORS preflight) and, when it has an `Origin`, come from the server's own origin or an
 * allowed one. Without an `Origin` the header decides alone, whatever a `Referer` says: a
 * browser sends `Origin` with every cross-origin request that can carry the header. A pure
 * function of the request's headers, so each branch is tested without HTTP.
 *
 * @throws AuthError `400 invalid_request` for a transport header that is neither `cookie`
 *   nor `body`.
 * @example
 * ```ts
 * decideCookieUse(
 *   { header: (name) => ctx.get(name), protocol: ctx.protocol, host: ctx.host },
 *   { allowedOrigins: new Set(['https://app.example.com']), proxy: { trustedHops: 1 } },
 * ) // { allowed: true }
 * ```
 */
export function decideCookieUse(request: CookieRequest, policy: CookiePolicy): CookieDecision {
  if (requestedTransport(request.header(REFRESH_TOKEN_TRANSPORT_HEADER)) !== 'cookie') {
    return {
      allowed: false,
      reason: 'transport-header',
      message: `a request authenticated by the refresh cookie must send ${REFRESH_TOKEN_TRANSPORT_HEADER}: cookie`,
    }
  }
  const origin = request.header('Origin')
  if (origin === '') return { allowed: true }
  const own = ownOrigin(request, policy.proxy)
  if (origin === own || policy.allowedOrigins.has(origin)) return { allowed: true }
  // The allowed origins are counted, not listed: other origins get no CORS headers either.
  const count = policy.allowedOrigins.size
  const listed =
    count === 0
      ? 'an origin listed in CORS_ORIGINS (none is)'
      : count === 1
        ? 'the origin listed in CORS_ORIGINS'
        : `one of the ${count} origins listed in CORS_ORIGINS`
  return {
    allowed: false,
    reason: 'origin',
    origin,
    ownOrigin: own,
    message:
      `this origin may not use the refresh cookie: the request came from ${shown(origin)} ` +
      `and the server expects ${shown(own)} or ${listed}; a dev proxy that rewrites Host ` +
      "needs the page's origin in CORS_ORIGINS",
  }
}

/**
 * {@link decideCookieUse}, for a request that is about to use the refresh cookie: checked
 * before anything is rotated or revoked.
 *
 * @throws AuthError `403 csrf_rejected` when the rule refuses the request, `400
 *   invalid_request` for a transport header that is neither `cookie` nor `body`.
 * @example
 * ```ts
 * rejectCookieForgery(request, { allowedOrigins: new Set(), proxy: { trustedHops: 0 } })
 * ```
 */
export function rejectCookieForgery(request: CookieRequest, policy: CookiePolicy): void {
  const decision = decideCookieUse(request, policy)
  if (!decision.allowed) throw new AuthError('csrf_rejected', decision.message)
}
