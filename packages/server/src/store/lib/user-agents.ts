import { createHash } from 'node:crypto'

/**
 * The name of a user agent's shared record: the first 72 bits of its SHA-256, 12 base64url
 * characters. Sessions keep this in their packed record instead of the user agent itself, so
 * a browser's 100-odd bytes are stored once however many sessions send them. Finding another
 * user agent with the same name takes about 2^72 tries, and would only show one string in
 * place of another in a session list.
 *
 * @example
 * ```ts
 * userAgentDigest('curl/8.5') // 12 characters of [A-Za-z0-9_-]
 * ```
 */
export function userAgentDigest(userAgent: string): string {
  return createHash('sha256').update(userAgent).digest('base64url').slice(0, 12)
}

/**
 * User agents by digest, at most `capacity` of them, the least recently used going first when
 * full. A content-named record never changes, so an entry is never stale: it only saves a read
 * (a round trip on a refresh, since the record lives outside the session's slot).
 */
export interface UserAgentCache {
  get(digest: string): string | undefined
  set(digest: string, userAgent: string): void
}

/** A {@link UserAgentCache} of at most `capacity` entries. */
export function createUserAgentCache(capacity: number): UserAgentCache {
  // A Map keeps insertion order: an entry used again moves to the end, the first one is the
  // least recently used.
  const entries = new Map<string, string>()
  return {
    get(digest) {
      const userAgent = entries.get(digest)
      if (userAgent !== undefined) {
        entries.delete(digest)
        entries.set(digest, userAgent)
      }
      return userAgent
    },
    set(digest, userAgent) {
      entries.delete(digest)
      if (entries.size >= capacity) {
        const oldest = entries.keys().next()
        if (oldest.done !== true) entries.delete(oldest.value)
      }
      entries.set(digest, userAgent)
    },
  }
}
