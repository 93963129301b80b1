import type { CallOrigin, Parts } from '../lib/parts.js'

/** Revokes the session of a refresh token; silent for an unknown or revoked one (RFC 7009). */
export async function logout(
  parts: Parts,
  refreshToken: string,
  origin: CallOrigin = {},
): Promise<void> {
  const claims = parts.refreshTokens.parse(refreshToken)
  if (claims === null) return
  const userId = (await parts.accounts.userIdOfStoreId(claims.userId)) ?? claims.userId
  const clientAddress = origin.clientAddress ?? null
  // Recorded before the session ends, and even when it was already gone, so a logout retried
  // after a lost answer still reaches its access tokens. Only a genuine token gets here.
  await parts.endSessions({
    reason: 'logout',
    userId,
    sessionIds: [claims.sessionId],
    end: async () =>
      (await parts.store.revokeSession(claims.userId, claims.sessionId)) ? [claims.sessionId] : [],
    sessionId: claims.sessionId,
    clientAddress,
    announce: (ended) =>
      parts.events.emit('logout', {
        all: false,
        userId,
        sessionId: claims.sessionId,
        sessions: ended.length,
        clientAddress,
      }),
  })
}

/**
 * Revokes every session of the user and every access token issued before; returns how many
 * sessions there were.
 */
export async function logoutAll(
  parts: Parts,
  userId: string,
  origin: CallOrigin = {},
): Promise<number> {
  const clientAddress = origin.clientAddress ?? null
  const ended = await parts.endSessions({
    reason: 'logout_all',
    userId,
    // Every access token of an earlier second is refused before any session ends; those of
    // this second are matched by their sessions, recorded once the store names them.
    sessionIds: [],
    notBefore: Math.floor(parts.clock() / 1000),
    end: () => parts.store.revokeAllSessions(parts.accounts.storeIdOf(userId)),
    sessionId: null,
    clientAddress,
    announce: (ended) =>
      parts.events.emit('logout', {
        all: true,
        userId,
        sessionId: origin.sessionId ?? null,
        sessions: ended.length,
        clientAddress,
      }),
  })
  return ended.length
}
