import {
  type CookieTokenResponse,
  DEVICE_COOKIE_NAME,
  FIELD_BOUNDS,
  REFRESH_TOKEN_TRANSPORT_HEADER,
  type ServerRefreshTokenTransport,
  type TokenResponse,
} from '@refresh-kit/shared'
import { stringifySetCookie } from 'cookie'
import type { Context, Middleware } from 'koa'
import { configDefault } from '../config/schema.js'
import { DEVICE_TOKEN_TTL_SECONDS } from '../credentials/limits/known-devices.js'
import { checkOptions, integerRule, oneOfRule } from '../lib/options.js'
import type { ProxyHeader } from './client-address.js'
import { type RequestedTransport, rejectCookieForgery, requestedTransport } from './csrf.js'
import { readRefreshToken } from './validation.js'

/** Options of {@link createRefreshTransport}; every one has the contract's default. */
export interface RefreshTransportOptions {
  /** `body`, `cookie` (always the cookie) or `both` (the client chooses). @default 'both' */
  mode?: ServerRefreshTokenTransport
  /** The cookie's name. @default 'rk_refresh' */
  cookieName?: string
  /** Mark the cookie `Secure`. @default true */
  secure?: boolean
  /** The cookie's `SameSite`. @default 'strict' */
  sameSite?: 'strict' | 'lax' | 'none'
  /** The cookie's `Domain`. @default null (no Domain attribute: this host only) */
  domain?: string | null
  /** Browser origins, besides the server's own, that may refresh and log out by cookie. @default [] */
  allowedOrigins?: readonly string[]
  /**
   * Trusted proxy hops in front of the server (`true` means 1): its own origin is then the
   * host and protocol the outermost trusted proxy forwarded (`X-Forwarded-Host`,
   * `X-Forwarded-Proto`, or `Forwarded`'s `host=`/`proto=`), read from the right like the
   * client address, never the left-most value a client may have written. @default false
   */
  behindProxy?: boolean | number
  /** Which headers those proxies write (see `ProxyHeader`). @default 'x-forwarded' */
  proxyHeader?: ProxyHeader
}

/** A refresh token read from a request, and where it came from. */
export interface PresentedRefreshToken {
  /** The token, or `null` when the client asked for the cookie and sent none. */
  token: string | null
  /** Whether the cookie carried it (or was asked to): the answer then clears a refused one. */
  fromCookie: boolean
}

/** How the token endpoints carry the refresh token: JSON body or `HttpOnly` cookie. */
export interface RefreshTransport {
  /**
   * The refresh token of a refresh or logout: the body's when there is one, else the
   * cookie's, which must come with the transport header and from an allowed origin.
   *
   * @throws AuthError `400 invalid_request` for a missing or malformed token or header,
   *   `403 csrf_rejected` for a cookie without the header or from another origin.
   */
  read(ctx: Context, body: Record<string, unknown>): PresentedRefreshToken
  /**
   * The answer of a login or refresh: in the cookie (then not in the body) when asked for.
   * A login's `deviceToken` then goes in the `HttpOnly` cookie `rk_device` too.
   */
  answer(ctx: Context, tokens: TokenResponse): TokenResponse | CookieTokenResponse
  /**
   * Runs before the body is parsed: a request that carries the cookie but no JSON body (a
   * form post, a `no-cors` fetch) can only mean the cookie, so the CSRF checks answer it
   * `403 csrf_rejected` rather than the body's `415`.
   */
  guard: Middleware
  /** Whether this request's answer carries the refresh token in the cookie. */
  inCookie(ctx: Context): boolean
  /** Expires the cookie (`Max-Age=0`, same name, path and domain). */
  clear(ctx: Context): void
}

const HEADER = REFRESH_TOKEN_TRANSPORT_HEADER.toLowerCase()

/**
 * The `Path` of the cookie: the directory of the token endpoint that was called, so
 * `/auth/login` gives `/auth` and, mounted under a prefix, `/api/auth/login` gives `/api/auth`.
 * Read from `originalUrl`, which keeps the prefix a mounting middleware strips from `path`.
 */
function cookiePath(ctx: Context): string {
  let pathname: string
  try {
    pathname = new URL(ctx.originalUrl, 'http://x').pathname.replace(/\/+$/, '')
  } catch {
    // The app refuses such a target before any route runs; a router mounted elsewhere may not.
    return '/auth'
  }
  const directory = pathname.slice(0, pathname.lastIndexOf('/'))
  // A path the cookie grammar cannot carry falls back to the contract's.
  return /^\/[\x21-\x3a\x3c-\x7e]*$/.test(directory) ? directory : '/auth'
}

/**
 * The cookie transport of the token endpoints, per `REFRESH_TOKEN_TRANSPORT`. A request
 * authenticated by the cookie must pass the CSRF rule (`rejectCookieForgery` in `csrf.ts`):
 * otherwise `403 csrf_rejected` before anything is rotated or revoked.
 *
 * @example
 * ```ts
 * const transport = createRefreshTransport({ mode: 'both', allowedOrigins: ['https://app.example.com'] })
 * router.post('/auth/refresh', async (ctx) => {
 *   const { token } = transport.read(ctx, ctx.request.body)
 *   ctx.body = transport.answer(ctx, await tokens.refresh(token ?? ''))
 * })
 * ```
 */
export function createRefreshTransport(options: RefreshTransportOptions = {}): RefreshTransport {
  const mode = options.mode ?? configDefault('REFRESH_TOKEN_TRANSPORT')
  const name = options.cookieName ?? configDefault('REFRESH_COOKIE_NAME')
  const secure = options.secure ?? true
  const sameSite = options.sameSite ?? configDefault('COOKIE_SAMESITE')
  const domain = options.domain ?? null
  const allowed = new Set(options.allowedOrigins ?? [])
  const behindProxy = options.behindProxy ?? false
  const proxy = {
    trustedHops: behindProxy === true ? 1 : behindProxy === false ? 0 : behindProxy,
    header: options.proxyHeader ?? 'x-forwarded',
  } as const
  checkOptions(
    'createRefreshTransport',
    { behindProxy: proxy.trustedHops, proxyHeader: proxy.header, mode },
    {
      behindProxy: { ...integerRule(0), problem: 'must be a boolean or an integer >= 0' },
      proxyHeader: oneOfRule(['x-forwarded', 'forwarded'], 'must be x-forwarded or forwarded'),
      mode: oneOfRule(['body', 'cookie', 'both'], 'must be body, cookie or both'),
    },
  )

  // What the client asked for: 'cookie', 'body', or '' for nothing.
  const requested = (ctx: Context): RequestedTransport => requestedTransport(ctx.get(HEADER))

  const inCookie = (ctx: Context): boolean =>
    mode === 'cookie' || (mode === 'both' && requested(ctx) === 'cookie')

  const setCookie = (ctx: Context, value: string, maxAge: number, cookie = name) => {
    ctx.append(
      'Set-Cookie',
      stringifySetCookie({
        name: cookie,
        value,
        httpOnly: true,
        secure,
        sameSite,
        path: cookiePath(ctx),
        maxAge,
        ...(domain === null ? {} : { domain }),
      }),
    )
  }

  const rejectForgery = (ctx: Context) => {
    // Koa 3's ctx.origin is the request's Origin header: the rule builds the server's own from
    // the protocol and host the trusted proxies forwarded (this router may be mounted in an
    // app whose own `proxy` setting says otherwise, and Koa's would take the left-most value,
    // which the client writes).
    rejectCookieForgery(
      { header: (header) => ctx.get(header), protocol: ctx.protocol, host: ctx.host },
      { allowedOrigins: allowed, proxy },
    )
  }

  const hasCookie = (ctx: Context) => (ctx.cookies.get(name) ?? '') !== ''

  return {
    async guard(ctx, next) {
      if (mode !== 'body' && !ctx.request.is('application/json') && hasCookie(ctx)) {
        rejectForgery(ctx)
      }
      await next()
    },
    read(ctx, body) {
      if (body.refreshToken !== undefined || mode === 'body') {
        return { token: readRefreshToken(body), fromCookie: false }
      }
      const cookie = ctx.cookies.get(name) ?? ''
      const present = cookie !== ''
      // Neither a token nor the cookie transport: the v1 answer for a missing field.
      if (!present && requested(ctx) !== 'cookie') readRefreshToken(body)
      rejectForgery(ctx)
      if (!present) return { token: null, fromCookie: true }
      if (cookie.length > FIELD_BOUNDS.refreshToken.max) {
        // Not the client's typing mistake but a cookie no server of ours set: refuse and clear it.
        return { token: '', fromCookie: true }
      }
      return { token: cookie, fromCookie: true }
    },
    answer(ctx, tokens) {
      if (!inCookie(ctx)) return tokens
      const { refreshToken, deviceToken, ...rest } = tokens
      setCookie(ctx, refreshToken, tokens.refreshExpiresIn)
      if (deviceToken !== undefined) {
        setCookie(ctx, deviceToken, DEVICE_TOKEN_TTL_SECONDS, DEVICE_COOKIE_NAME)
      }
      return rest
    },
    inCookie,
    clear(ctx) {
      setCookie(ctx, '', 0)
    },
  }
}
