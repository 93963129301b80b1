import {
  checkRotationBounds,
  DEFAULT_LOCK_HOLD_TIMEOUT_MS,
  DEFAULT_REFRESH_TIMEOUT_MS,
} from '@refresh-kit/shared'
import type { Logger } from '../logger.js'

/**
 * Logs at start-up how the configured reuse grace window relates to the SDK's default refresh
 * and lock timeouts: `info` when a retried lost answer lands inside it, `warn` when it does not
 * (a `REFRESH_REUSE_GRACE` set too short signs out users whose refresh answer was lost).
 *
 * @example
 * ```ts
 * logRotationBounds(logger, config.refreshReuseGrace)
 * // {"level":"info","msg":"refresh rotation bounds: a lost refresh answer is retried at once ..."}
 * ```
 */
export function logRotationBounds(logger: Logger, graceSeconds: number): void {
  const report = checkRotationBounds({
    graceMs: graceSeconds * 1000,
    refreshTimeoutMs: DEFAULT_REFRESH_TIMEOUT_MS,
    holdTimeoutMs: DEFAULT_LOCK_HOLD_TIMEOUT_MS,
  })
  const fields = {
    graceMs: graceSeconds * 1000,
    sdkRefreshTimeoutMs: DEFAULT_REFRESH_TIMEOUT_MS,
    sdkLockHoldTimeoutMs: DEFAULT_LOCK_HOLD_TIMEOUT_MS,
    retryWithinMs: report.retryWithinMs,
    takeoverWithinMs: report.takeoverWithinMs,
  }
  if (report.ok) {
    logger.info(`refresh rotation bounds: ${report.summary} (SDK defaults)`, fields)
  } else {
    logger.warn(
      `REFRESH_REUSE_GRACE is too short for the SDK's defaults: ${report.summary}; clients whose refresh answer is lost will be signed out`,
      fields,
    )
  }
}
