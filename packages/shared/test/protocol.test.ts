import { describe, expect, it } from 'vitest'
import {
  checkRotationBounds,
  DEFAULT_LOCK_ACQUIRE_TIMEOUT_MS,
  DEFAULT_LOCK_HOLD_TIMEOUT_MS,
  DEFAULT_REFRESH_REUSE_GRACE_SECONDS,
  DEFAULT_REFRESH_TIMEOUT_MS,
} from '../src/index.js'

const defaults = {
  graceMs: DEFAULT_REFRESH_REUSE_GRACE_SECONDS * 1000,
  refreshTimeoutMs: DEFAULT_REFRESH_TIMEOUT_MS,
  holdTimeoutMs: DEFAULT_LOCK_HOLD_TIMEOUT_MS,
}

describe('rotation bounds', () => {
  it('lands a first retry and a lock takeover inside the default grace window with room to spare', () => {
    const report = checkRotationBounds(defaults)
    expect(report).toMatchObject({ retryWithinMs: 10_000, takeoverWithinMs: 25_000, ok: true })
    // "Well inside": the first retry leaves two thirds of the window for a slow network.
    expect(report.retryWithinMs).toBeLessThanOrEqual(defaults.graceMs / 3)
    expect(report.summary).toBe(
      'a lost refresh answer is retried at once and the retry reaches the server within 2 × 5 s refresh timeout = 10 s, a tab taking over the lock, and its retry, within 15 s hold + 2 × 5 s = 25 s, inside the 30 s reuse grace window',
    )
  })

  it('lets a tab wait for the lock longer than a holder may keep it', () => {
    expect(DEFAULT_LOCK_ACQUIRE_TIMEOUT_MS).toBeGreaterThan(DEFAULT_LOCK_HOLD_TIMEOUT_MS)
  })

  it('rejects the equal grace and timeout of 10 s that signed users out after a lost answer', () => {
    const report = checkRotationBounds({
      graceMs: 10_000,
      refreshTimeoutMs: 10_000,
      holdTimeoutMs: 15_000,
    })
    expect(report.ok).toBe(false)
    expect(report.summary).toContain('NOT inside the 10 s reuse grace window')
  })

  it('rejects a hold timeout that a refresh and its retry can outlast', () => {
    const report = checkRotationBounds({
      graceMs: 60_000,
      refreshTimeoutMs: 6_000,
      holdTimeoutMs: 12_000,
    })
    expect(report.holdCoversRetry).toBe(false)
    expect(report.ok).toBe(false)
  })
})
