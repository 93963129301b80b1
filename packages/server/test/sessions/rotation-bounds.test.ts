import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'
import type { LogFields, Logger } from '../../src/logger.js'
import { logRotationBounds } from '../../src/sessions/rotation-bounds.js'

function recordingLogger() {
  const lines: { level: string; msg: string; fields?: LogFields }[] = []
  const at =
    (level: string) =>
    (msg: string, fields?: LogFields): void => {
      lines.push({ level, msg, ...(fields === undefined ? {} : { fields }) })
    }
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  }
  return { logger, lines }
}

describe('the start-up line on rotation bounds', () => {
  it('states with figures that a retried lost answer lands inside the default grace window', () => {
    const { logger, lines } = recordingLogger()
    logRotationBounds(logger, loadConfig({}).refreshReuseGrace)
    expect(lines).toHaveLength(1)
    expect(lines[0]?.level).toBe('info')
    expect(lines[0]?.msg).toBe(
      'refresh rotation bounds: a lost refresh answer is retried at once and the retry reaches the server within 2 × 5 s refresh timeout = 10 s, a tab taking over the lock, and its retry, within 15 s hold + 2 × 5 s = 25 s, inside the 30 s reuse grace window (SDK defaults)',
    )
    expect(lines[0]?.fields).toMatchObject({ graceMs: 30_000, retryWithinMs: 10_000 })
  })

  it('warns when REFRESH_REUSE_GRACE is too short for a retry to land inside it', () => {
    const { logger, lines } = recordingLogger()
    logRotationBounds(logger, loadConfig({ REFRESH_REUSE_GRACE: '10' }).refreshReuseGrace)
    expect(lines.map((line) => line.level)).toEqual(['warn'])
    expect(lines[0]?.msg).toMatch(
      /^REFRESH_REUSE_GRACE is too short .*NOT inside the 10 s reuse grace window/,
    )
  })
})
