import type { ErrorBody } from '@refresh-kit/shared'
import type { Middleware } from 'koa'
import { isAuthError } from '../errors.js'
import type { AccessTokenVerifier, AuthContext } from '../tokens/access-token.js'

/** Options of {@link requireAuth}. */
export interface RequireAuthOptions {
  /** What verifies the bearer token: the token service, or `createAccessTokens(...)`. Required. */
  verifier?: AccessTokenVerifier
  /** The `realm` of the `WWW-Authenticate` challenge. @default 'refresh-kit' */
  realm?: string
}

/** What {@link requireAuth} adds to `ctx.state`. */
export interface AuthState {
  auth: AuthContext
}

const BEARER = /^Bearer +(\S+) *$/i

function quoted(value: string): string {
  // RFC 6750 §3: auth-param values are quoted strings without '"' or '\'.
  return value.replace(/["\\]/g, "'")
}

/**
 * Koa middleware for protected routes: verifies the `Authorization: Bearer` access token
 * without touching the store, puts `{ userId, sessionId, username, claims }` in
 * `ctx.state.auth`, and otherwise answers `401` itself (`missing_token`, `invalid_token`,
 * `token_expired`) with an RFC 6750 `WWW-Authenticate` challenge, so it works in any Koa app.
 *
 * @example
 * ```ts
 * router.get('/orders', requireAuth({ verifier: tokens }), (ctx) => {
 *   ctx.body = listOrders(ctx.state.auth.userId)
 * })
 * ```
 */
export function requireAuth(options: RequireAuthOptions): Middleware<AuthState> {
  const verifier = options.verifier
  if (verifier === undefined || typeof verifier.verifyAccessToken !== 'function') {
    throw new TypeError('requireAuth: options.verifier must have a verifyAccessToken method')
  }
  const realm = quoted(options.realm ?? 'refresh-kit')
  return async (ctx, next) => {
    const header = ctx.get('Authorization')
    const [scheme = '', ...rest] = header.trim().split(' ')
    if (scheme.toLowerCase() !== 'bearer' || rest.join('').trim() === '') {
      ctx.status = 401
      ctx.set('WWW-Authenticate', `Bearer realm="${realm}"`)
      ctx.body = {
        error: 'missing_token',
        message: 'this route needs an Authorization: Bearer access token',
      } satisfies ErrorBody
      return
    }
    const match = BEARER.exec(header)
    let auth: AuthContext
    try {
      if (match?.[1] === undefined) throw new Error('malformed Authorization header')
      auth = verifier.verifyAccessToken(match[1])
    } catch (error) {
      const body: ErrorBody = isAuthError(error)
        ? { error: error.code, message: error.message }
        : { error: 'invalid_token', message: 'the access token is not valid' }
      ctx.status = 401
      ctx.set(
        'WWW-Authenticate',
        `Bearer realm="${realm}", error="invalid_token", error_description="${quoted(body.message)}"`,
      )
      ctx.body = body
      return
    }
    ctx.state.auth = auth
    await next()
  }
}
