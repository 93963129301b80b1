import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { childLogger, createLogger, type LogFields } from '../src/logger.js'

function capture(level: 'debug' | 'info' | 'warn' | 'error' | 'silent' = 'debug') {
  const lines: string[] = []
  const logger = createLogger({
    level,
    format: 'json',
    destination: { write: (line: string) => void lines.push(line) },
  })
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as LogFields) }
}

describe('createLogger (pino)', () => {
  it('writes one JSON object per line with level, time and message, dropping lines below the level', () => {
    const { logger, lines, parsed } = capture('warn')
    logger.debug('hidden')
    logger.info('hidden')
    logger.warn('shown', { requestId: 'r1' })
    expect(lines).toHaveLength(1)
    expect(lines[0]?.endsWith('\n')).toBe(true)
    expect(parsed()[0]).toMatchObject({ level: 'warn', msg: 'shown', requestId: 'r1' })
    expect(Number.isNaN(Date.parse(String(parsed()[0]?.time)))).toBe(false)
  })

  it('binds the request id to every line of a child logger', () => {
    const { logger, parsed } = capture()
    const child = childLogger(logger, { requestId: 'req-42' })
    child.info('one')
    child.debug('two', { extra: true })
    expect(parsed().map((line) => line.requestId)).toEqual(['req-42', 'req-42'])
  })

  it('redacts authorization, cookie, set-cookie, password and refreshToken wherever they sit', () => {
    const { logger, lines } = capture()
    logger.info('request', {
      password: 'hunter2-top',
      refreshToken: 'rk1.secret-refresh',
      headers: { authorization: 'Bearer secret-access', cookie: 'rk=secret-cookie' },
      res: { headers: { 'set-cookie': 'rk=secret-set-cookie' } },
      body: { credentials: { password: 'nested-secret' } },
    })
    const line = lines.join('')
    for (const secret of [
      'hunter2-top',
      'secret-refresh',
      'secret-access',
      'secret-cookie',
      'secret-set-cookie',
      'nested-secret',
    ]) {
      expect(line).not.toContain(secret)
    }
    expect(line).toContain('[redacted]')
  })

  it('redacts every token, password and body field, request bodies included (regression: a malformed body logged raw)', () => {
    const { logger, lines } = capture()
    logger.debug('request', {
      currentPassword: 'secret-current',
      newPassword: 'secret-new',
      accessToken: 'secret-access-token',
      deviceToken: 'secret-device',
      refresh_token: 'secret-oauth-refresh',
      body: '{"password":"secret-raw-body"}',
      req: { headers: { 'proxy-authorization': 'Basic secret-proxy' } },
    })
    const line = lines.join('')
    for (const secret of ['secret-current', 'secret-new', 'secret-access-token', 'secret-device']) {
      expect(line).not.toContain(secret)
    }
    for (const secret of ['secret-oauth-refresh', 'secret-raw-body', 'secret-proxy']) {
      expect(line).not.toContain(secret)
    }
  })

  it("keeps an error's type, message, stack, code and status, never the input it carries, through its cause chain", () => {
    const { logger, lines, parsed } = capture()
    // What co-body throws for a malformed JSON body: JSON.parse quotes it, co-body keeps it.
    const parseFailure = Object.assign(
      new SyntaxError('Unexpected token \'}\', "{"password":"secret-pw"}" is not valid JSON'),
      { status: 400, body: '{"password":"secret-pw","refreshToken":"secret-rt"}' },
    )
    // What a Redis client's reply error carries: the command and its arguments.
    const replyError = Object.assign(new Error('ERR script failed'), {
      code: 'ERR',
      command: { name: 'evalsha', args: ['secret-argument'] },
    })
    logger.error('failed', {
      cause: new Error('outer', { cause: parseFailure }),
      error: replyError,
    })
    const line = lines.join('')
    for (const secret of ['secret-pw', 'secret-rt', 'secret-argument']) {
      expect(line).not.toContain(secret)
    }
    const [first] = parsed()
    expect(first?.cause).toMatchObject({
      type: 'Error',
      message: 'outer',
      cause: { type: 'SyntaxError', status: 400 },
    })
    expect(first?.error).toMatchObject({ type: 'Error', message: 'ERR script failed', code: 'ERR' })
  })

  it('serializes an error with its cause chain', () => {
    const { logger, parsed } = capture()
    const redisDown = new Error('connect ECONNREFUSED 127.0.0.1:6390')
    logger.warn('store unavailable', {
      cause: new Error('the store did not answer', { cause: redisDown }),
    })
    const cause = parsed()[0]?.cause as { message: string; stack: string }
    expect(cause.message).toBe('the store did not answer')
    expect(cause.stack).toContain('Error: the store did not answer')
    // The cause underneath travels with it, not dropped.
    expect(JSON.stringify(cause)).toContain('ECONNREFUSED')
  })

  it('prints readable lines only when pretty is asked for, still redacted', () => {
    const lines: string[] = []
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const logger = createLogger({ level: 'info', format: 'pretty', destination })
    logger.info('listening', { port: 3000, password: 'pretty-secret' })
    const text = lines.join('')
    expect(text).toContain('listening')
    expect(text).toContain('port: 3000')
    expect(text).not.toContain('pretty-secret')
    expect(() => JSON.parse(text)).toThrow()
  })

  it('logs nothing when silent, and refuses an unknown level or format', () => {
    const { logger, lines } = capture('silent')
    logger.error('x')
    expect(lines).toEqual([])
    expect(() => createLogger({ level: 'loud' as never, format: 'json' })).toThrow(/options.level/)
    expect(() => createLogger({ level: 'info', format: 'xml' as never })).toThrow(/options.format/)
  })

  it('merges bindings into each line for an injected logger without child()', () => {
    const seen: LogFields[] = []
    const plain = {
      debug: () => {},
      info: (_msg: string, fields?: LogFields) => void seen.push(fields ?? {}),
      warn: () => {},
      error: () => {},
    }
    childLogger(plain, { requestId: 'r9' }).info('hello', { status: 200 })
    expect(seen).toEqual([{ requestId: 'r9', status: 200 }])
  })

  it("drops a request logger's lines below the level and keeps its bindings in nested children", () => {
    const { logger, parsed } = capture('warn')
    const child = childLogger(logger, { requestId: 'req-9' })
    child.info('below the level')
    child.warn('at the level')
    childLogger(child, { userId: 'u1' }).error('nested')
    expect(parsed()).toEqual([
      expect.objectContaining({ msg: 'at the level', requestId: 'req-9' }),
      expect.objectContaining({ msg: 'nested', requestId: 'req-9', userId: 'u1' }),
    ])
  })
})
