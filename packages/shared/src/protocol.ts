/**
 * The timing bounds of refresh-token rotation, shared by the token server and the SDK so that
 * their defaults are chosen together and cannot drift apart.
 *
 * The guarantee: a refresh whose answer is lost (a timeout or a dropped connection after the
 * server rotated) is retried at once, and that retry reaches the server inside the reuse grace
 * window, so it gets the same successor instead of tripping reuse detection. A request that is
 * answered within the timeout reached the server within it, so the first retry of a refresh
 * that the server rotated at `t` reaches the server before `t + 2 × timeout`. Across tabs, a
 * tab that takes over the lock from a holder that hung sends the same token no later than
 * `t + hold timeout`, and its own retry reaches the server before `t + hold + 2 × timeout`.
 * Both must stay below the grace window:
 *
 *   2 × 5 s = 10 s < 30 s   and   15 s + 2 × 5 s = 25 s < 30 s
 *
 * The hold timeout covers a whole refresh of the holder (its first attempt and its retry,
 * `2 × timeout`), so the lock is only ever taken from a holder that hung. The model of the
 * protocol in `packages/server/model/` checks these bounds with spin.
 */

/** The server's default reuse grace window (`REFRESH_REUSE_GRACE`), in seconds. */
export const DEFAULT_REFRESH_REUSE_GRACE_SECONDS = 30

/** The SDK's default refresh timeout (`refreshTimeoutMs`), in milliseconds. */
export const DEFAULT_REFRESH_TIMEOUT_MS = 5_000

/** The SDK's default cross-tab lock hold timeout (`holdTimeoutMs`), in milliseconds. */
export const DEFAULT_LOCK_HOLD_TIMEOUT_MS = 15_000

/** The SDK's default cross-tab lock acquire timeout (`acquireTimeoutMs`), in milliseconds. */
export const DEFAULT_LOCK_ACQUIRE_TIMEOUT_MS = 20_000

/** The SDK's default first backoff after a refresh failed with an answer (503, 429), in milliseconds. */
export const DEFAULT_REFRESH_BACKOFF_INITIAL_MS = 500

/** The SDK's default refresh leeway (`leewaySeconds`): it refreshes this long before expiry. */
export const DEFAULT_LEEWAY_SECONDS = 30

/** The timing bounds a deployment runs with, as {@link checkRotationBounds} reads them. */
export interface RotationBounds {
  /** The server's reuse grace window, in ms. */
  graceMs: number
  /** The SDK's refresh timeout, in ms. */
  refreshTimeoutMs: number
  /** The SDK's cross-tab lock hold timeout, in ms. */
  holdTimeoutMs: number
}

/** What {@link checkRotationBounds} found: the worst cases and whether they fit the window. */
export interface RotationBoundsReport {
  /** Latest a first retry reaches the server after the rotation it retries, in ms. */
  retryWithinMs: number
  /** Latest a tab taking over a hung lock, or its own retry, reaches the server after that rotation, in ms. */
  takeoverWithinMs: number
  /** Whether the hold timeout covers a refresh and its retry (`2 × timeout`). */
  holdCoversRetry: boolean
  /** Whether every bound holds. */
  ok: boolean
  /** One line with the figures, for a log or a README. */
  summary: string
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`

/**
 * Checks the relation between the server's grace window and the SDK's timeouts.
 *
 * @example
 * ```ts
 * checkRotationBounds({ graceMs: 30_000, refreshTimeoutMs: 5_000, holdTimeoutMs: 15_000 }).ok // true
 * ```
 */
export function checkRotationBounds(bounds: RotationBounds): RotationBoundsReport {
  const retryWithinMs = 2 * bounds.refreshTimeoutMs
  const takeoverWithinMs = bounds.holdTimeoutMs + 2 * bounds.refreshTimeoutMs
  const holdCoversRetry = bounds.holdTimeoutMs > retryWithinMs
  const ok = retryWithinMs < bounds.graceMs && takeoverWithinMs < bounds.graceMs && holdCoversRetry
  const summary =
    `a lost refresh answer is retried at once and the retry reaches the server within ` +
    `2 × ${seconds(bounds.refreshTimeoutMs)} refresh timeout = ${seconds(retryWithinMs)}, ` +
    `a tab taking over the lock, and its retry, within ${seconds(bounds.holdTimeoutMs)} hold + ` +
    `2 × ${seconds(bounds.refreshTimeoutMs)} = ${seconds(takeoverWithinMs)}, ` +
    `${ok ? 'inside' : 'NOT inside'} the ${seconds(bounds.graceMs)} reuse grace window`
  return { retryWithinMs, takeoverWithinMs, holdCoversRetry, ok, summary }
}
