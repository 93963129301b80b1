import { describe, expect, it } from 'vitest'
import { createLogger } from '../src/logger.js'

describe('createLogger', () => {
  it('writes one JSON object per line and drops lines below the level', () => {
    const lines: string[] = []
    const logger = createLogger({ level: 'warn', write: (line) => lines.push(line), now: () => 0 })
    logger.debug('hidden')
    logger.info('hidden')
    logger.warn('shown', { requestId: 'r1' })
    logger.error('failed', { error: new Error('boom') })
    expect(lines).toHaveLength(2)
    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(
      true,
    )
    expect(JSON.parse(lines[0] as string)).toEqual({
      level: 'warn',
      time: '1970-01-01T00:00:00.000Z',
      msg: 'shown',
      requestId: 'r1',
    })
    expect(JSON.parse(lines[1] as string).error).toMatchObject({ name: 'Error', message: 'boom' })
  })

  it('logs nothing when silent, and refuses an unknown level', () => {
    const lines: string[] = []
    createLogger({ level: 'silent', write: (line) => lines.push(line) }).error('x')
    expect(lines).toEqual([])
    expect(() => createLogger({ level: 'loud' as never })).toThrow(/options.level/)
  })
})
