import type { AuthContext } from '../auth-context.js'

/** Remembers access tokens whose signature and claims were verified, for as long as they are valid. */
export interface VerifiedTokens {
  /** The context of a token verified before that is still within its time bounds at `nowSeconds`. */
  get(token: string, nowSeconds: number): AuthContext | undefined
  /** Records a token that has just passed full verification. */
  set(token: string, context: AuthContext): void
  /** Tokens held. */
  readonly size: number
}

interface Entry {
  context: AuthContext
  /** The first second the token is expired at (`exp` plus the tolerance). */
  expiredAt: number
  /** The first second the token is valid at (`nbf` minus the tolerance), when it has `nbf`. */
  validFrom: number
}

/** How many verified tokens one process keeps: a few MB at most. @default 10_000 */
export const VERIFIED_TOKENS_LIMIT = 10_000

/**
 * A bounded memo of verified access tokens, keyed by the whole token text. A client sends the
 * same access token on every request of its lifetime; with a fixed key set the signature and
 * the claims of that exact text give the same answer every time, so only the time bounds
 * (`exp`, `nbf`, with the clock tolerance) are checked again, as jsonwebtoken checks them.
 * Only tokens that passed full verification get in, so an attacker cannot fill it without the
 * signing key; past `limit` the oldest entries go first. Each hit returns a copy of the
 * context, so a caller that changes it changes nothing for the next request. Revocation is not
 * decided here: it is checked on every request after verification, hit or not.
 *
 * @example
 * ```ts
 * const verified = verifiedTokens(5)
 * const context = verified.get(token, nowSeconds) ?? verifyAndRemember(token)
 * ```
 */
export function verifiedTokens(
  clockToleranceSeconds: number,
  limit = VERIFIED_TOKENS_LIMIT,
): VerifiedTokens {
  const entries = new Map<string, Entry>()
  return {
    get(token, nowSeconds) {
      const entry = entries.get(token)
      if (entry === undefined) return undefined
      if (nowSeconds >= entry.expiredAt || nowSeconds < entry.validFrom) {
        // Full verification decides the answer (expired, not yet valid) and its message.
        entries.delete(token)
        return undefined
      }
      return { ...entry.context }
    },
    set(token, context) {
      const { exp, nbf } = context.claims as { exp: number; nbf?: unknown }
      if (entries.size >= limit) {
        const oldest = entries.keys().next()
        if (oldest.done !== true) entries.delete(oldest.value)
      }
      entries.set(token, {
        context: { ...context },
        expiredAt: exp + clockToleranceSeconds,
        validFrom: typeof nbf === 'number' ? nbf - clockToleranceSeconds : Number.NEGATIVE_INFINITY,
      })
    },
    get size() {
      return entries.size
    },
  }
}
