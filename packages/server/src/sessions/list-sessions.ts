import type { SessionInfo } from '@refresh-kit/shared'
import type { Parts } from '../lib/parts.js'

/** The user's live sessions, newest first, with `current` marking `currentSessionId`. */
export async function listSessions(
  parts: Parts,
  userId: string,
  currentSessionId: string,
): Promise<SessionInfo[]> {
  const sessions = await parts.store.listSessions(parts.accounts.storeIdOf(userId), parts.clock())
  return sessions.map((session) => ({
    id: session.id,
    createdAt: new Date(session.createdAt).toISOString(),
    lastUsedAt: new Date(session.lastUsedAt).toISOString(),
    userAgent: session.userAgent,
    current: session.id === currentSessionId,
  }))
}
