import { AuthError } from '../errors.js'
import type { CallOrigin, Parts } from '../lib/parts.js'

const noSuchSession = () => new AuthError('not_found', 'no such session')

/** Ends one of the user's own sessions. @throws AuthError `not_found` when the user has no such session */
export async function revokeSession(
  parts: Parts,
  userId: string,
  sessionId: string,
  origin: CallOrigin = {},
): Promise<void> {
  const storeId = parts.accounts.storeIdOf(userId)
  // Only the caller's own session is recorded, and before it ends (see logout).
  if ((await parts.store.getSession(storeId, sessionId, parts.clock())) === null) {
    throw noSuchSession()
  }
  await parts.endSessions({
    reason: 'revoked',
    userId,
    sessionIds: [sessionId],
    end: async () => {
      if (!(await parts.store.revokeSession(storeId, sessionId))) throw noSuchSession()
      return [sessionId]
    },
    sessionId,
    clientAddress: origin.clientAddress ?? null,
  })
}
