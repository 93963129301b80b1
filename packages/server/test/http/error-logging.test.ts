import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { StoreUnavailableError } from '../../src/errors.js'
import { createApp } from '../../src/http/app.js'
import { createLogger, type LogFields, type Logger } from '../../src/logger.js'
import { setup } from '../support/harness.js'

interface Line {
  level: 'debug' | 'info' | 'warn' | 'error'
  msg: string
  fields: LogFields
}

/** A logger that records every line, child bindings merged in, as pino would write them. */
function recordingLogger(lines: Line[], bindings: LogFields = {}): Logger {
  const at =
    (level: Line['level']) =>
    (msg: string, fields: LogFields = {}) =>
      void lines.push({ level, msg, fields: { ...bindings, ...fields } })
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  }
}

const errorLines = (lines: Line[]) => lines.filter((line) => line.msg !== 'request')

describe('every answered error is logged with its cause and the request id', () => {
  it('a 4xx at debug, with the request id', async () => {
    const lines: Line[] = []
    const { http } = setup({ logger: recordingLogger(lines) })
    const res = await http
      .post('/auth/login')
      .set('X-Request-Id', 'req-4xx-0001')
      .send({ username: 'nobody', password: 'wrong password' })
    expect(res.status).toBe(401)
    expect(errorLines(lines)).toEqual([
      {
        level: 'debug',
        msg: 'wrong username or password',
        fields: { requestId: 'req-4xx-0001', code: 'invalid_credentials', status: 401 },
      },
    ])
  })

  it('a 4xx raised by Koa middleware at debug, with the parser error as its cause', async () => {
    const lines: Line[] = []
    const { http } = setup({ logger: recordingLogger(lines) })
    const res = await http
      .post('/auth/login')
      .set('X-Request-Id', 'req-json-0001')
      .set('Content-Type', 'application/json')
      .send('{"username": ')
    expect(res.status).toBe(400)
    const [line] = errorLines(lines)
    expect(line).toMatchObject({
      level: 'debug',
      fields: { requestId: 'req-json-0001', code: 'invalid_request', status: 400 },
    })
    expect(line?.fields.cause).toBeInstanceOf(Error)
  })

  it('a 503 at warn, with the outage underneath as its cause', async () => {
    const lines: Line[] = []
    const { store, tokens } = setup()
    const redisDown = new Error('connect ECONNREFUSED 127.0.0.1:6390')
    const down = {
      ...store,
      ping: () => Promise.reject(new StoreUnavailableError(undefined, { cause: redisDown })),
    }
    const app = createApp({ auth: tokens, store: down, logger: recordingLogger(lines) })
    const res = await request(app.callback()).get('/readyz').set('X-Request-Id', 'req-503-0001')
    expect(res.status).toBe(503)
    expect(res.headers['retry-after']).toBe('2')
    expect(errorLines(lines)).toEqual([
      {
        level: 'warn',
        msg: 'the token store is unavailable; try again shortly',
        fields: {
          requestId: 'req-503-0001',
          code: 'service_unavailable',
          status: 503,
          cause: redisDown,
        },
      },
    ])
  })

  it('a 500 at error, with the thrown error as its cause, never in the answer', async () => {
    const lines: Line[] = []
    const { store, tokens } = setup()
    const bug = new Error('secret detail: undefined is not a function')
    const app = createApp({
      auth: { ...tokens, login: () => Promise.reject(bug) },
      store,
      logger: recordingLogger(lines),
    })
    const res = await request(app.callback())
      .post('/auth/login')
      .set('X-Request-Id', 'req-500-0002')
      .send({ username: 'ada', password: 'correct horse battery' })
    expect(res.status).toBe(500)
    expect(res.text).not.toContain('secret detail')
    expect(errorLines(lines)).toEqual([
      {
        level: 'error',
        msg: 'an internal error occurred',
        fields: { requestId: 'req-500-0002', code: 'internal_error', status: 500, cause: bug },
      },
    ])
  })

  it('no line at debug carries the body of a malformed request, its password or refresh token (regression: the parser error was logged with the raw body)', async () => {
    const written: string[] = []
    const logger = createLogger({
      level: 'debug',
      format: 'json',
      destination: { write: (line: string) => void written.push(line) },
    })
    const { http } = setup({ logger })
    const secrets = ['pw-7a1e-secret', 'rt-93c4-secret']
    const invalid = `{"username":"ada","password":"${secrets[0]}","refreshToken":"${secrets[1]}",}`
    const bodies: [string, string][] = [
      ['application/json', invalid],
      ['application/json', invalid.slice(0, 40)],
      ['application/json', `["${secrets[0]}","${secrets[1]}"]`],
      ['text/plain', invalid],
    ]
    for (const [type, body] of bodies) {
      const res = await http.post('/auth/login').set('Content-Type', type).send(body)
      expect(res.status).toBeGreaterThanOrEqual(400)
      expect(res.status).toBeLessThan(500)
    }
    const res = await http
      .post('/auth/refresh')
      .set('Content-Type', 'application/json')
      .send(invalid)
    expect(res.status).toBe(400)
    // The parser's failures were logged, just not what they quoted.
    expect(written.join('')).toContain('BodyParserFailure')
    for (const secret of secrets) expect(written.join('')).not.toContain(secret)
  })
})
