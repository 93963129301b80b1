import { AuthError } from '../errors.js'
import type { RefreshResult, StoredTokens } from '../types.js'

/**
 * Checks a token answer (login or refresh) and dates it on the local clock at `receivedAt`,
 * the moment it arrived, so a client clock that is off changes nothing. `previous`: the
 * tokens it replaces, whose refresh token and expiry stand when the answer has none.
 * With the cookie transport a refresh token in the body is never kept (the server ignored
 * the transport header and put it where scripts can read it): the answer is refused.
 *
 * @throws AuthError `internal_error`, retryable for a malformed answer, not for a refresh
 *   token in the body with the cookie transport.
 */
export function toStoredTokens(
  result: RefreshResult,
  previous: StoredTokens | null,
  receivedAt: number,
  cookie: boolean,
): StoredTokens {
  const refreshToken = cookie
    ? result?.refreshToken === undefined
      ? ''
      : null
    : (result?.refreshToken ?? previous?.refreshToken)
  if (
    typeof result?.accessToken !== 'string' ||
    typeof refreshToken !== 'string' ||
    !(result.expiresIn >= 0)
  ) {
    throw new AuthError('internal_error', {
      message:
        refreshToken === null
          ? 'refresh token in the body, not the cookie'
          : 'malformed token answer',
      retryable: refreshToken !== null,
    })
  }
  return {
    accessToken: result.accessToken,
    refreshToken,
    expiresAt: receivedAt + result.expiresIn * 1000,
    issuedAt: receivedAt,
    refreshExpiresAt:
      result.refreshExpiresIn === undefined
        ? // 8.64e15 is the last valid Date: never, as far as the client knows.
          (previous?.refreshExpiresAt ?? 8.64e15)
        : receivedAt + result.refreshExpiresIn * 1000,
  }
}

/**
 * Whether two snapshots of the session are the same state (or both none): when they differ,
 * another tab or a login stored something else meanwhile, or signed out.
 */
export const sameSession = (a: StoredTokens | null, b: StoredTokens | null): boolean =>
  a === b ||
  (a !== null && b !== null && a.refreshToken === b.refreshToken && a.accessToken === b.accessToken)
