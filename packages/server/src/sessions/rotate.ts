import type { TokenResponse } from '@refresh-kit/shared'
import { AuthError } from '../errors.js'
import type { CallOrigin, Parts } from '../lib/parts.js'

const invalidRefresh = () =>
  new AuthError('invalid_refresh_token', 'the refresh token is invalid, expired or revoked')

/**
 * Rotates a refresh token: the store swaps it for its successor in one step (its script
 * checks and rotates at once, or two tabs would both win), answers a token rotated moments
 * ago with the same successor (the grace window), and ends the session when a token older
 * than that comes back (reuse detection).
 *
 * @throws AuthError `invalid_refresh_token`, `refresh_token_reused`
 */
export async function rotate(
  parts: Parts,
  refreshToken: string,
  origin: CallOrigin = {},
): Promise<TokenResponse> {
  const { events, accounts } = parts
  const clientAddress = origin.clientAddress ?? null
  // A forged or tampered token stops here, before any store call.
  const claims = parts.refreshTokens.parse(refreshToken)
  if (claims === null) {
    events.emit('refresh', { outcome: 'invalid', userId: null, sessionId: null, clientAddress })
    throw invalidRefresh()
  }
  let ids = { userId: claims.userId, sessionId: claims.sessionId }
  // One store call, one Redis round trip: the rotation also reads the username the new
  // access token carries.
  const result = await parts.store.rotate({
    ...claims,
    now: parts.clock(),
    idleTtlSeconds: parts.refreshTtlSeconds,
    graceSeconds: parts.reuseGraceSeconds,
  })
  if (result.status === 'reused') {
    ids = { ...ids, userId: (await accounts.userIdOfStoreId(ids.userId)) ?? ids.userId }
    events.emit('refresh', { outcome: 'reused', ...ids, clientAddress })
    await parts.endSessions({
      reason: 'reuse',
      userId: ids.userId,
      sessionIds: [ids.sessionId],
      sessionId: ids.sessionId,
      clientAddress,
      announce: () => events.emit('reuseDetected', { ...ids, clientAddress }),
    })
    throw new AuthError(
      'refresh_token_reused',
      'this refresh token was already used; the session has been revoked',
    )
  }
  if (result.status === 'invalid') {
    events.emit('refresh', { outcome: 'invalid', ...ids, clientAddress })
    throw invalidRefresh()
  }
  const { userId, user } = await accounts.userOfRotation(claims.userId, result.username)
  ids = { ...ids, userId }
  if (user === null) {
    // The user is gone from their database: so is the session.
    await parts.endSessions({
      reason: 'revoked',
      userId,
      sessionIds: [ids.sessionId],
      end: async () =>
        (await parts.store.revokeSession(claims.userId, claims.sessionId)) ? [ids.sessionId] : [],
      sessionId: ids.sessionId,
      clientAddress,
      announce: () => events.emit('refresh', { outcome: 'invalid', ...ids, clientAddress }),
    })
    throw invalidRefresh()
  }
  const response = parts.tokens.response(
    result.session,
    await parts.tokens.sign(user, claims.sessionId),
  )
  events.emit('refresh', { outcome: result.status, ...ids, clientAddress })
  return response
}
