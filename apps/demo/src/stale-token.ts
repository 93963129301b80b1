import type { TokenStorage } from '@refresh-kit/client-sdk'

/** How the demo makes the stored access token stale on demand. */
export type StaleMode = 'rewind' | 'break'

/**
 * Makes the stored access token stale without waiting for it to expire, in the storage every
 * tab shares:
 * - `rewind` moves `expiresAt` into the past: the client sees an expired token and refreshes
 *   before sending (proactive), holding every request until the new token is stored;
 * - `break` changes the token's signature: the server answers `401 invalid_token`, and the
 *   client refreshes once and replays every request that failed (reactive).
 * Returns `false` when no tokens are stored.
 *
 * @example
 * ```ts
 * await makeStale(storage, 'rewind')
 * await Promise.all(Array.from({ length: 20 }, () => auth.http.get('/auth/me')))
 * ```
 */
export async function makeStale(
  storage: TokenStorage,
  mode: StaleMode,
  now: () => number = Date.now,
): Promise<boolean> {
  const tokens = await storage.get()
  if (tokens === null) return false
  if (mode === 'rewind') {
    await storage.set({ ...tokens, expiresAt: now() - 1000 })
  } else {
    // The first character of the signature: every one of its bits counts (the last one's
    // low bits are padding that decoders ignore).
    const at = tokens.accessToken.lastIndexOf('.') + 1
    const flipped = tokens.accessToken[at] === 'A' ? 'B' : 'A'
    const accessToken = `${tokens.accessToken.slice(0, at)}${flipped}${tokens.accessToken.slice(at + 1)}`
    await storage.set({ ...tokens, accessToken })
  }
  return true
}
