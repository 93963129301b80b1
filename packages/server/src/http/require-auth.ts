import type { ErrorBody } from '@refresh-kit/shared'
import type { Cluster, Redis } from 'ioredis'
import type { Middleware } from 'koa'
import type { AuthContext } from '../access-tokens/auth-context.js'
import {
  createJwksVerifier,
  type JwksVerifierOptions,
  type RemoteAccessTokenVerifier,
} from '../access-tokens/jwks-verifier.js'
import { createRevocationListener } from '../access-tokens/revocation/redis-revocations.js'
import type { RevocationCheck } from '../access-tokens/revocation/types.js'
import type { AccessTokenVerifier } from '../access-tokens/sign-and-verify.js'
import { isAuthError } from '../errors.js'

/**
 * Options of {@link requireAuth}: either a `verifier` (in the token server, or with a shared
 * HS256 secret), or the options of `createJwksVerifier` (`jwksUri` and the claim checks, in
 * any other service).
 */
export type RequireAuthOptions = {
  /** The `realm` of the `WWW-Authenticate` challenge. @default 'refresh-kit' */
  realm?: string
  /**
   * Scopes the token must grant, all of them: read from the `scope` claim (space-separated,
   * RFC 9068 §2.2.3) or an `scp` array. Without them the answer is
   * `403 insufficient_scope` with `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`.
   * @default none required
   */
  scope?: string | readonly string[]
  /**
   * Roles of which the token must carry at least one, read from a `roles` array claim (or a
   * `role` string). Without one the answer is `403 insufficient_scope`.
   * @default none required
   */
  role?: string | readonly string[]
  /**
   * The token server's Redis (or Redis Cluster) client: the access tokens of sessions ended
   * on the token server are then refused here too, at once, from a list held in memory (no
   * Redis call per request; see `createRevocationListener`). The middleware opens one
   * subscriber connection of its own; `await middleware.ready()` before listening, and
   * `middleware.close()` releases it. Without it (or `revocations`), a token stays valid
   * until it expires. Exclusive with `revocations`. @default none
   */
  redis?: Redis | Cluster
  /** The token server's `REDIS_KEY_PREFIX`, with `redis`. @default 'rk:' */
  keyPrefix?: string
  /** A revocation list to share between several middlewares, instead of `redis`. @default none */
  revocations?: RevocationCheck
} & (
  | {
      /** What verifies the bearer token: the token service, `createAccessTokens(...)`, or `createJwksVerifier(...)`. */
      verifier: AccessTokenVerifier | RemoteAccessTokenVerifier
      jwksUri?: never
      jwks?: never
    }
  | (JwksVerifierOptions & { verifier?: never })
)

/** The middleware {@link requireAuth} returns. */
export interface RequireAuthMiddleware extends Middleware<AuthState> {
  /** Resolves once the recorded revocations are loaded (at once without `redis`). */
  ready(): Promise<void>
  /** Closes the subscriber connection opened for `redis`; nothing otherwise. */
  close(): Promise<void>
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

const TOKEN_CHARS = /^[\x21\x23-\x5B\x5D-\x7E]+$/

function namesOf(option: 'scope' | 'role', value: string | readonly string[] | undefined) {
  if (value === undefined) return []
  const names = typeof value === 'string' ? value.split(' ').filter((name) => name !== '') : value
  if (
    !Array.isArray(names) ||
    names.length === 0 ||
    names.some((name) => typeof name !== 'string' || !TOKEN_CHARS.test(name))
  ) {
    throw new TypeError(
      `requireAuth: options.${option} must be a name or a list of names without spaces or quotes`,
    )
  }
  return names as string[]
}

function grantedScopes(claims: Readonly<Record<string, unknown>>): Set<string> {
  const granted = new Set<string>()
  if (typeof claims.scope === 'string') {
    for (const name of claims.scope.split(' ')) if (name !== '') granted.add(name)
  }
  if (Array.isArray(claims.scp)) {
    for (const name of claims.scp) if (typeof name === 'string') granted.add(name)
  }
  return granted
}

function grantedRoles(claims: Readonly<Record<string, unknown>>): Set<string> {
  const granted = new Set<string>()
  if (Array.isArray(claims.roles)) {
    for (const name of claims.roles) if (typeof name === 'string') granted.add(name)
  }
  if (typeof claims.role === 'string') granted.add(claims.role)
  return granted
}

function verifierOf(options: RequireAuthOptions): AccessTokenVerifier | RemoteAccessTokenVerifier {
  if (options.verifier === undefined) {
    if (!('jwksUri' in options) && !('jwks' in options)) {
      throw new TypeError('requireAuth: options.verifier (or options.jwksUri) is required')
    }
    return createJwksVerifier(options)
  }
  // Checked at run time too: JavaScript callers get no compiler to tell them.
  if ('jwksUri' in options || 'jwks' in options) {
    throw new TypeError('requireAuth: give options.verifier or options.jwksUri, not both')
  }
  const { verifier } = options
  if (typeof verifier?.verifyAccessToken !== 'function') {
    throw new TypeError(
      'requireAuth: options.verifier must have a verifyAccessToken method (or give options.jwksUri)',
    )
  }
  return verifier
}

/**
 * Koa middleware for protected routes: verifies the `Authorization: Bearer` access token
 * without touching the store, puts `{ userId, sessionId, username, claims }` in
 * `ctx.state.auth`, and otherwise answers `401` itself (`missing_token`, `invalid_token`,
 * `token_expired`) with an RFC 6750 `WWW-Authenticate` challenge, so it works in any Koa app.
 * `ctx.state.auth.claims` holds every claim, custom ones included; with `scope` or `role`,
 * a token without them is answered `403 insufficient_scope`.
 * With `jwksUri`, keys come from the token server's JWKS (cached, see `createRemoteJwks`);
 * when they cannot be fetched and none is cached for the token, the answer is
 * `503 service_unavailable` with `Retry-After`, since the token may well be valid.
 * With `redis`, the access tokens of ended sessions are refused as the token server
 * refuses them (`401 invalid_token`, "the session of this access token has ended").
 *
 * @example
 * ```ts
 * // In the token server:
 * router.get('/orders', requireAuth({ verifier: tokens }), (ctx) => {
 *   ctx.body = listOrders(ctx.state.auth.userId)
 * })
 * // Only for tokens that grant a scope (403 insufficient_scope otherwise):
 * router.post('/orders', requireAuth({ verifier: tokens, scope: 'orders:write' }), createOrder)
 * // In any other service, with no shared secret:
 * const auth = requireAuth({
 *   jwksUri: 'https://auth.example/.well-known/jwks.json',
 *   issuer: 'https://auth.example',
 *   audience: 'orders-api',
 *   clockToleranceSeconds: 5,
 *   redis, // the token server's Redis: ended sessions' tokens are refused at once
 * })
 * await auth.ready()
 * ```
 */
export function requireAuth(options: RequireAuthOptions): RequireAuthMiddleware {
  const verifier = verifierOf(options)
  const realm = quoted(options.realm ?? 'refresh-kit')
  const scopes = namesOf('scope', options.scope)
  const roles = namesOf('role', options.role)
  if (options.redis !== undefined && options.revocations !== undefined) {
    throw new TypeError('requireAuth: give options.redis or options.revocations, not both')
  }
  const owned =
    options.redis === undefined
      ? undefined
      : createRevocationListener({
          redis: options.redis,
          ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }),
        })
  const revocations = owned ?? options.revocations
  const middleware: Middleware<AuthState> = async (ctx, next) => {
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
      auth = await verifier.verifyAccessToken(match[1])
      revocations?.assertNotRevoked(auth.claims)
    } catch (error) {
      if (isAuthError(error) && error.code === 'service_unavailable') {
        ctx.status = error.status
        if (error.retryAfterSeconds !== undefined)
          ctx.set('Retry-After', String(error.retryAfterSeconds))
        ctx.body = { error: error.code, message: error.message } satisfies ErrorBody
        return
      }
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
    if (scopes.length > 0 || roles.length > 0) {
      const granted = grantedScopes(auth.claims)
      const missing = scopes.filter((name) => !granted.has(name))
      const userRoles = grantedRoles(auth.claims)
      const roleMissing = roles.length > 0 && !roles.some((name) => userRoles.has(name))
      if (missing.length > 0 || roleMissing) {
        const message =
          missing.length > 0
            ? `the access token lacks the scope ${missing.join(' ')}`
            : `the access token has none of the roles ${roles.join(', ')}`
        ctx.status = 403
        ctx.set(
          'WWW-Authenticate',
          `Bearer realm="${realm}", error="insufficient_scope", error_description="${quoted(message)}"${scopes.length > 0 ? `, scope="${scopes.join(' ')}"` : ''}`,
        )
        ctx.body = { error: 'insufficient_scope', message } satisfies ErrorBody
        return
      }
    }
    ctx.state.auth = auth
    await next()
  }
  return Object.assign(middleware, {
    ready: () => revocations?.ready() ?? Promise.resolve(),
    close: async () => {
      await owned?.close()
    },
  })
}
