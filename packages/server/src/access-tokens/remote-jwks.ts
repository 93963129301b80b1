import { createPublicKey, type KeyObject } from 'node:crypto'
import type { Clock } from '../clock.js'
import { AuthError } from '../errors.js'
import { checkOptions, functionRule, integerRule } from '../lib/options.js'
import {
  ASYMMETRIC_ALGORITHMS,
  type AsymmetricAlgorithm,
  isAsymmetricAlgorithm,
  keyProblem,
} from './algorithms.js'

/** Options of {@link createRemoteJwks}. */
export interface RemoteJwksOptions {
  /** Where the token server publishes its keys, e.g. `https://auth.example/.well-known/jwks.json`. */
  jwksUri: string | URL
  /** Keys of other algorithms are ignored. HS256 is never accepted. @default ['ES256', 'RS256'] */
  algorithms?: readonly AsymmetricAlgorithm[]
  /**
   * How long a fetched key set stays fresh when the answer has no `Cache-Control: max-age`.
   * A `max-age` in the answer wins (capped at one day). @default 300000 (5 minutes)
   */
  cacheMaxAgeMs?: number
  /**
   * The shortest time between two fetches, whatever asks for them: an unknown `kid`, an
   * expired cache, or a retry after a failed fetch. Bounds what a stream of tokens with
   * made-up `kid`s can cost the token server. @default 30000
   */
  cooldownMs?: number
  /** A fetch that has not answered by then counts as failed. @default 5000 */
  timeoutMs?: number
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch
  /** Milliseconds since the epoch; decides freshness and cooldowns. @default Date.now */
  clock?: Clock
}

/** A public key of the remote set, pinned to one algorithm. */
export interface RemoteKey {
  readonly kid: string
  readonly algorithm: AsymmetricAlgorithm
  readonly key: KeyObject
}

/** A cached view of a remote JWKS. */
export interface RemoteJwks {
  /**
   * The key with this `kid`. Served from the cache while it is fresh; a stale cache still
   * answers at once while one refresh runs behind it (and keeps answering if the JWKS is
   * down); an unknown `kid` waits for a refetch, at most one per cooldown.
   *
   * @throws AuthError `invalid_token` when the freshly fetched set has no such key;
   *   `service_unavailable` (with `retryAfterSeconds`) when the set could not be fetched, since
   *   the token may well be valid.
   */
  getKey(kid: string): Promise<RemoteKey>
}

const MAX_FRESH_MS = 24 * 3600 * 1000
const MAX_BODY_CHARS = 1024 * 1024
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const

/** `Cache-Control` freshness in milliseconds, or `undefined` when it says nothing usable. */
function maxAgeOf(cacheControl: string | null): number | undefined {
  if (cacheControl === null) return undefined
  if (/(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)/i.test(cacheControl)) return 0
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)/i.exec(cacheControl)
  return match?.[1] === undefined ? undefined : Math.min(Number(match[1]) * 1000, MAX_FRESH_MS)
}

function inferredAlgorithm(jwk: Record<string, unknown>): AsymmetricAlgorithm | undefined {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256'
  if (jwk.kty === 'RSA') return 'RS256'
  return undefined
}

/**
 * Reads a JWKS document into keys by `kid`. A key this verifier cannot use (another `use`,
 * an algorithm off the allow-list, no `kid`, a weak or malformed key) is skipped, not fatal:
 * the token server may publish keys for other consumers.
 */
function readKeySet(
  document: unknown,
  algorithms: readonly AsymmetricAlgorithm[],
): Map<string, RemoteKey> {
  const list = (document as { keys?: unknown } | null)?.keys
  if (!Array.isArray(list)) throw new Error('the JWKS answer has no "keys" array')
  const keys = new Map<string, RemoteKey>()
  for (const entry of list as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue
    const jwk = entry as Record<string, unknown>
    if (typeof jwk.kid !== 'string' || jwk.kid === '' || keys.has(jwk.kid)) continue
    if (jwk.use !== undefined && jwk.use !== 'sig') continue
    const algorithm = jwk.alg === undefined ? inferredAlgorithm(jwk) : jwk.alg
    if (!isAsymmetricAlgorithm(algorithm) || !algorithms.includes(algorithm)) continue
    const members: Record<string, string> = {}
    for (const name of PUBLIC_MEMBERS) {
      if (typeof jwk[name] === 'string') members[name] = jwk[name]
    }
    let key: KeyObject
    try {
      key = createPublicKey({ key: members, format: 'jwk' })
    } catch {
      continue
    }
    if (keyProblem(algorithm, key) !== null) continue
    keys.set(jwk.kid, { kid: jwk.kid, algorithm, key })
  }
  return keys
}

/**
 * A remote JSON Web Key Set (RFC 7517), fetched with Node's `fetch` and cached: freshness
 * from the answer's `Cache-Control: max-age` (or `cacheMaxAgeMs`), revalidated with
 * `If-None-Match`, one fetch in flight shared by every concurrent caller, and no more than
 * one fetch per `cooldownMs`. What a resource server needs to verify the token server's
 * access tokens with no shared secret.
 *
 * @throws TypeError naming the option when an option is bad.
 * @example
 * ```ts
 * const jwks = createRemoteJwks({ jwksUri: 'https://auth.example/.well-known/jwks.json' })
 * const { key, algorithm } = await jwks.getKey(kid)
 * ```
 */
export function createRemoteJwks(options: RemoteJwksOptions): RemoteJwks {
  let url: URL
  try {
    url = new URL(options.jwksUri ?? '')
  } catch {
    throw new TypeError('createRemoteJwks: options.jwksUri must be an absolute http(s) URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError('createRemoteJwks: options.jwksUri must be an absolute http(s) URL')
  }
  const algorithms = options.algorithms ?? ASYMMETRIC_ALGORITHMS
  if (
    !Array.isArray(algorithms) ||
    algorithms.length === 0 ||
    !algorithms.every((algorithm) => isAsymmetricAlgorithm(algorithm))
  ) {
    throw new TypeError(
      'createRemoteJwks: options.algorithms must list ES256 or RS256 (never HS256)',
    )
  }
  const {
    cacheMaxAgeMs: defaultMaxAge,
    cooldownMs,
    timeoutMs,
    fetch: fetchImpl,
    clock,
  } = checkOptions(
    'createRemoteJwks',
    {
      cacheMaxAgeMs: options.cacheMaxAgeMs ?? 300_000,
      cooldownMs: options.cooldownMs ?? 30_000,
      timeoutMs: options.timeoutMs ?? 5000,
      fetch: options.fetch ?? globalThis.fetch,
      clock: options.clock ?? Date.now,
    },
    {
      cacheMaxAgeMs: integerRule(0),
      cooldownMs: integerRule(0),
      timeoutMs: integerRule(1),
      fetch: functionRule,
      clock: functionRule,
    },
  )

  let keys: Map<string, RemoteKey> | null = null
  let etag: string | null = null
  let freshUntil = 0
  let lastAttemptAt = Number.NEGATIVE_INFINITY
  let lastAttemptFailed = false
  let lastError: unknown
  let inFlight: Promise<void> | null = null

  const load = async (): Promise<void> => {
    const response = await fetchImpl(url, {
      headers: {
        accept: 'application/json',
        ...(etag === null || keys === null ? {} : { 'if-none-match': etag }),
      },
      signal: AbortSignal.timeout(timeoutMs),
    })
    const maxAge = maxAgeOf(response.headers.get('cache-control')) ?? defaultMaxAge
    if (response.status === 304 && keys !== null) {
      await response.body?.cancel()
      freshUntil = clock() + maxAge
      return
    }
    if (response.status !== 200) {
      await response.body?.cancel()
      throw new Error(`the JWKS answered ${response.status}`)
    }
    const text = await response.text()
    if (text.length > MAX_BODY_CHARS) throw new Error('the JWKS answer is over 1 MiB')
    keys = readKeySet(JSON.parse(text), algorithms)
    etag = response.headers.get('etag')
    freshUntil = clock() + maxAge
  }

  // Never rejects: a failure is remembered, and callers decide what it means for them.
  const refresh = (): Promise<void> => {
    if (inFlight !== null) return inFlight
    lastAttemptAt = clock()
    inFlight = load().then(
      () => {
        lastAttemptFailed = false
        lastError = undefined
      },
      (error: unknown) => {
        lastAttemptFailed = true
        lastError = error
      },
    )
    void inFlight.finally(() => {
      inFlight = null
    })
    return inFlight
  }
  const mayFetch = () => clock() - lastAttemptAt >= cooldownMs

  const unavailable = () =>
    new AuthError('service_unavailable', 'the signing keys of the token server cannot be fetched', {
      retryAfterSeconds: Math.max(1, Math.ceil((lastAttemptAt + cooldownMs - clock()) / 1000)),
      cause: lastError,
    })

  return {
    async getKey(kid) {
      if (inFlight !== null && keys?.has(kid) !== true) await inFlight
      let found = keys?.get(kid)
      if (found !== undefined) {
        // Stale while revalidate: the cached key answers now, one refresh runs behind it,
        // and if the JWKS is down the cached key keeps answering.
        if (clock() >= freshUntil && mayFetch()) void refresh()
        return found
      }
      if (mayFetch()) {
        await refresh()
        found = keys?.get(kid)
        if (found !== undefined) return found
      }
      if (keys === null || lastAttemptFailed) throw unavailable()
      throw new AuthError('invalid_token', 'the access token was signed with an unknown key')
    },
  }
}
