import { createTokenKeys } from '@refresh-kit/server'
import { createRefreshTokenCodec } from '@refresh-kit/server/internal'
import type { WrittenSession } from './session-writer.js'

/** A session the load refreshes, with the generation its next token carries. */
export interface PoolEntry extends WrittenSession {
  generation: number
}

/** Hands out one refresh token per request, cycling through sessions. */
export interface TokenPool {
  /** The body of the next `POST /auth/refresh`: the next session's current token. */
  nextBody(): string
  /** Tokens handed out so far. */
  readonly handedOut: number
  readonly entries: readonly PoolEntry[]
}

/**
 * A refresh-token source over `entries`: each request gets the token of the next session in
 * turn, for the generation that session is at, and the generation moves on, so every request
 * is a real rotation and no token is ever sent twice. Going round the pool again refreshes
 * the successors, which is why the pool must be far larger than the requests in flight.
 *
 * @example
 * ```ts
 * const pool = tokenPool(jwtSecret, sessions.map((s) => ({ ...s, generation: 0 })))
 * await runLoad({ ..., nextBody: pool.nextBody })
 * ```
 */
export function tokenPool(jwtSecret: string, entries: PoolEntry[]): TokenPool {
  if (entries.length === 0) throw new Error('a token pool needs at least one session')
  const codec = createRefreshTokenCodec(createTokenKeys({ jwtSecret }).refreshMacKey)
  let cursor = 0
  return {
    entries,
    get handedOut() {
      return cursor
    },
    nextBody() {
      const entry = entries[cursor % entries.length] as PoolEntry
      cursor += 1
      const token = codec.issue(entry)
      entry.generation += 1
      return JSON.stringify({ refreshToken: token })
    },
  }
}
