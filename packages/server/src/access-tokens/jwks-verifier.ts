import type { Clock } from '../clock.js'
import { checkOptions, integerRule, nonEmptyStringRule } from '../lib/options.js'
import {
  ASYMMETRIC_ALGORITHMS,
  type AsymmetricAlgorithm,
  isAsymmetricAlgorithm,
} from './algorithms.js'
import type { AuthContext } from './auth-context.js'
import { invalidToken, verifyAccessTokenWith } from './lib/access-claims.js'
import { readHeader } from './lib/jwt.js'
import { createRemoteJwks, type RemoteJwks, type RemoteJwksOptions } from './remote-jwks.js'

/** The claim checks of {@link createJwksVerifier}, the token server's settings. */
export interface JwksClaimChecks {
  /** `iss` required of every token: the token server's `JWT_ISSUER`. */
  issuer: string
  /** `aud` required of every token: the token server's `JWT_AUDIENCE`. */
  audience: string
  /** Leeway for `exp` and `nbf`, in seconds: the token server's `CLOCK_TOLERANCE`. */
  clockToleranceSeconds: number
  /** `alg` values accepted. HS256 is never accepted. @default ASYMMETRIC_ALGORITHMS */
  algorithms?: readonly AsymmetricAlgorithm[]
  /** Milliseconds since the epoch; decides `exp` and `nbf`. @default Date.now */
  clock?: Clock
}

/**
 * Options of {@link createJwksVerifier}: the claim checks, and either where the key set is
 * (the options of `createRemoteJwks`) or a key set to share between verifiers.
 */
export type JwksVerifierOptions =
  | (JwksClaimChecks & RemoteJwksOptions)
  | (JwksClaimChecks & { jwks: RemoteJwks })

/** Verifies access tokens against a remote JWKS; asynchronous, since a key may need a fetch. */
export interface RemoteAccessTokenVerifier {
  /** @throws AuthError `invalid_token`, `token_expired`, or `service_unavailable` when the keys cannot be fetched. */
  verifyAccessToken(token: string): Promise<AuthContext>
}

/**
 * Verifies the token server's access tokens in another service, with no shared secret: the
 * key comes from the token server's `/.well-known/jwks.json` by the token's `kid`, the `alg`
 * must be an asymmetric one of the allow-list *and* the key's own, and `typ`, `iss`, `aud`,
 * `exp`, `nbf` are checked as the token server checks them. A token with `alg: none`, HS256
 * or no `kid` is refused before any fetch.
 *
 * @throws TypeError naming the option when an option is bad.
 * @example
 * ```ts
 * const verifier = createJwksVerifier({
 *   jwksUri: 'https://auth.example/.well-known/jwks.json',
 *   issuer: 'https://auth.example',
 *   audience: 'orders-api',
 *   clockToleranceSeconds: 5,
 * })
 * const { userId } = await verifier.verifyAccessToken(token)
 * ```
 */
export function createJwksVerifier(options: JwksVerifierOptions): RemoteAccessTokenVerifier {
  const {
    issuer,
    audience,
    clockToleranceSeconds: tolerance,
  } = checkOptions('createJwksVerifier', options, {
    issuer: nonEmptyStringRule,
    audience: nonEmptyStringRule,
    clockToleranceSeconds: integerRule(0),
  })
  const algorithms = options.algorithms ?? ASYMMETRIC_ALGORITHMS
  if (!Array.isArray(algorithms) || !algorithms.every((alg) => isAsymmetricAlgorithm(alg))) {
    throw new TypeError(
      'createJwksVerifier: options.algorithms must list ES256 or RS256 (never HS256)',
    )
  }
  const allowed = new Set<string>(algorithms)
  const jwks = 'jwks' in options ? options.jwks : createRemoteJwks(options)
  const clock = options.clock ?? Date.now

  return {
    async verifyAccessToken(token) {
      const header = readHeader(token)
      if (header === null) throw invalidToken('the access token is not valid')
      // Checked before any fetch: a token that can never verify must cost the JWKS nothing.
      if (!isAsymmetricAlgorithm(header.alg) || !allowed.has(header.alg)) {
        throw invalidToken('the access token is not signed with an allowed algorithm')
      }
      if (typeof header.kid !== 'string' || header.kid === '') {
        throw invalidToken('the access token has no key id')
      }
      const { key, algorithm } = await jwks.getKey(header.kid)
      return verifyAccessTokenWith(token, key, {
        // Pinned to the key's algorithm: the header's `alg` must agree with it.
        algorithm,
        issuer,
        audience,
        clockToleranceSeconds: tolerance,
        nowSeconds: Math.floor(clock() / 1000),
      })
    },
  }
}
