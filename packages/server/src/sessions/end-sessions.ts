import type { AccessTokenRevocations } from '../access-tokens/revocation/types.js'
import type { AuthEvents, SessionEndReason } from '../events/auth-events.js'

/** One ending of sessions, as {@link EndSessions} carries it out. */
export interface SessionEnding {
  reason: SessionEndReason
  /** The access token's `sub` (the user adapter's id). */
  userId: string
  /**
   * With `end`: the sessions recorded before it, so that no outage between the two steps
   * can end them and leave their access tokens alive. Without: sessions a store script has
   * already ended (reuse, eviction), recorded now.
   */
  sessionIds: readonly string[]
  /** Every access token of `userId` issued before this second is refused too. */
  notBefore?: number
  /** The store step; the ids of the sessions it ended. */
  end?: () => Promise<readonly string[]>
  /** The `sessionEnded` event's session; `null` when several end at once. */
  sessionId: string | null
  clientAddress: string | null
  /** For `evicted`: the new session whose login ended them; one event per session then. */
  bySessionId?: string
  /** The use case's own events, emitted before `sessionEnded`. */
  announce?: (ended: readonly string[]) => void
}

/**
 * Ends sessions: their access tokens are refused on every instance from then on, and
 * `sessionEnded` is emitted. Returns the ids of the sessions that ended.
 */
export type EndSessions = (ending: SessionEnding) => Promise<readonly string[]>

/** What {@link createEndSessions} needs. */
export interface EndSessionsOptions {
  revocations: AccessTokenRevocations
  events: AuthEvents
  /** How long a recording that failed is tried again in the background. */
  accessTokenTtlSeconds: number
}

/**
 * The one place a session's end reaches its access tokens and the events: every path that
 * ends sessions (logout, logout-all, revoke, reuse detection, eviction, password change, a
 * user gone from their adapter) goes through it.
 *
 * @example
 * ```ts
 * await endSessions({ reason: 'revoked', userId, sessionIds: [id], end: async () => [id], sessionId: id, clientAddress: null })
 * ```
 */
export function createEndSessions(options: EndSessionsOptions): EndSessions {
  const { revocations, events } = options
  const record = (userId: string, sessionIds: readonly string[], notBefore?: number) =>
    revocations.revoke({
      userId,
      sessionIds,
      ...(notBefore === undefined ? {} : { notBefore }),
    })

  // Sessions already ended where nothing could be recorded first: if recording fails, it
  // is tried again in the background for the access-token lifetime, so an outage between
  // the two steps does not leave their access tokens alive. The request still fails, as
  // the first try did.
  const recordAfter = async (userId: string, sessionIds: readonly string[]) => {
    try {
      await record(userId, sessionIds)
    } catch (error) {
      recordLater(userId, sessionIds)
      throw error
    }
  }
  const recordLater = (userId: string, sessionIds: readonly string[], attempt = 1) => {
    const delayMs = Math.min(5_000, 100 * 2 ** attempt)
    const deadline = options.accessTokenTtlSeconds * 1000
    if (delayMs * attempt > deadline) return
    setTimeout(() => {
      record(userId, sessionIds).catch(() => recordLater(userId, sessionIds, attempt + 1))
    }, delayMs).unref()
  }

  return async (ending) => {
    const { reason, userId, sessionIds, notBefore, end } = ending
    let ended: readonly string[]
    if (end === undefined) {
      ended = sessionIds
      if (ended.length > 0) await recordAfter(userId, ended)
    } else {
      if (sessionIds.length > 0 || notBefore !== undefined) {
        await record(userId, sessionIds, notBefore)
      }
      ended = await end()
      const unrecorded = ended.filter((id) => !sessionIds.includes(id))
      if (unrecorded.length > 0) await recordAfter(userId, unrecorded)
    }
    ending.announce?.(ended)
    const clientAddress = ending.clientAddress
    if (ending.bySessionId !== undefined) {
      for (const id of ended) {
        events.emit('sessionEnded', {
          reason,
          userId,
          sessionId: id,
          count: 1,
          bySessionId: ending.bySessionId,
          clientAddress,
        })
      }
    } else if (ended.length > 0) {
      events.emit('sessionEnded', {
        reason,
        userId,
        sessionId: ending.sessionId,
        count: ended.length,
        clientAddress,
      })
    }
    return ended
  }
}
