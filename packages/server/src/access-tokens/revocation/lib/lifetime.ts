import { checkOptions, integerRule } from '../../../lib/options.js'
/** Checks the access-token lifetime and clock tolerance a recorder is given. */
export function checkLifetime(
  name: string,
  accessTokenTtlSeconds: number,
  clockToleranceSeconds: number,
): void {
  checkOptions(
    name,
    { accessTokenTtlSeconds, clockToleranceSeconds },
    { accessTokenTtlSeconds: integerRule(1), clockToleranceSeconds: integerRule(0) },
  )
}

/**
 * How long a revocation made at `now` must be kept, in ms: an access token issued just
 * before it lives the whole lifetime more, and is accepted the clock tolerance past `exp`.
 */
export function keepFor(accessTokenTtlSeconds: number, clockToleranceSeconds: number): number {
  return keptForSeconds(accessTokenTtlSeconds, clockToleranceSeconds) * 1000
}

/** {@link keepFor} in seconds: how long an access token is accepted after it is issued. */
export function keptForSeconds(
  accessTokenTtlSeconds: number,
  clockToleranceSeconds: number,
): number {
  return accessTokenTtlSeconds + clockToleranceSeconds
}
