import { createRequire } from 'node:module'
import { type DestinationStream, pino } from 'pino'
import { checkOptions, oneOfRule } from './lib/options.js'

/** Log levels, lowest first; `silent` logs nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

/** Structured fields of one log line; an `error` or `cause` field is serialized with its causes. */
export type LogFields = Record<string, unknown>

/**
 * What the server logs through: `createLogger()` (pino) in production, or your own to route
 * lines elsewhere or record them in tests. `child` binds fields to every line of a request;
 * a logger without it gets them merged into each line instead.
 */
export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  child?(bindings: LogFields): Logger
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lines below this level are dropped (`LOG_LEVEL`). */
  level: LogLevel
  /** `json`: one JSON object per line; `pretty`: coloured lines for a terminal (`LOG_FORMAT`). */
  format: 'json' | 'pretty'
  /** Where lines go (after pretty-printing, with `pretty`). @default standard output */
  destination?: DestinationStream
}

/**
 * Field names whose values never reach a log line, wherever they sit in it (up to three
 * levels down): credentials, tokens, the headers that carry them, and request bodies.
 */
export const REDACTED_FIELDS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'password',
  'currentPassword',
  'newPassword',
  'refreshToken',
  'refresh_token',
  'accessToken',
  'access_token',
  'deviceToken',
  'token',
  'body',
  'rawBody',
] as const

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent']

/** Redaction paths for each field at the top and up to three levels down. */
export const REDACT_PATHS: readonly string[] = REDACTED_FIELDS.flatMap((field) => {
  const name = /^[A-Za-z_$][\w$]*$/.test(field) ? field : `["${field}"]`
  const dotted = name.startsWith('[') ? name : `.${name}`
  return [name, `*${dotted}`, `*.*${dotted}`, `*.*.*${dotted}`]
})

/**
 * A pino logger behind the {@link Logger} seam: JSON lines on stdout (or pretty ones when
 * asked for), secrets redacted by path, errors serialized with their `cause`.
 *
 * @throws TypeError naming the option when `level` or `format` is unknown.
 * @example
 * ```ts
 * const logger = createLogger({ level: config.logLevel, format: config.logFormat })
 * logger.child?.({ requestId }).warn('redis connection lost', { error })
 * ```
 */
export function createLogger(options: LoggerOptions): Logger {
  checkOptions('createLogger', options, {
    level: oneOfRule(LEVELS, `must be one of ${LEVELS.join(', ')}`),
    format: oneOfRule(['json', 'pretty'], 'must be "json" or "pretty"'),
  })
  const destination = destinationOf(options.format, options.destination)
  const base = pino(
    {
      level: options.level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      serializers: { error: serializeError, err: serializeError, cause: serializeError },
    },
    destination,
  )
  return adapt(base)
}

/** How deep a cause chain is followed in a log line. */
const MAX_CAUSE_DEPTH = 5

/** A thrown value as a log line shows it. */
export interface SerializedError {
  type: string
  message: string
  stack?: string
  code?: string | number
  status?: number
  cause?: SerializedError | string
}

/**
 * An error as a log line shows it: its type, message, stack, `code` and `status`, and its
 * `cause` chain the same way; never its other properties, where libraries keep what they
 * were given (a body parser the raw body, a Redis client the command and its arguments). A
 * parse failure of input (a `SyntaxError`, or an error that carries the request body, as
 * co-body's does) keeps only its type: V8 quotes the input in the message and the stack.
 *
 * @example
 * ```ts
 * serializeError(new Error('boom', { cause: redisError })) // { type: 'Error', message: 'boom', stack, cause: {...} }
 * ```
 */
export function serializeError(value: unknown, depth = 0): SerializedError | string {
  if (!(value instanceof Error)) {
    // A thrown non-error: its type only, since its text may be anything the request held.
    return typeof value === 'string' ? '[thrown string]' : `[thrown ${typeof value}]`
  }
  const carried = value as Error & { code?: unknown; status?: unknown; body?: unknown }
  const quotesInput = value instanceof SyntaxError || carried.body !== undefined
  const serialized: SerializedError = {
    type: value.constructor?.name ?? value.name,
    message: quotesInput ? '[input not logged]' : value.message,
  }
  if (!quotesInput && value.stack !== undefined) serialized.stack = value.stack
  if (typeof carried.code === 'string' || typeof carried.code === 'number') {
    serialized.code = carried.code
  }
  if (typeof carried.status === 'number') serialized.status = carried.status
  if (value.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
    serialized.cause = serializeError(value.cause, depth + 1)
  }
  return serialized
}

function destinationOf(
  format: 'json' | 'pretty',
  destination: DestinationStream | undefined,
): DestinationStream {
  if (format === 'json') return destination ?? pino.destination(1)
  // Loaded only when asked for: production never pays for it.
  const require = createRequire(import.meta.url)
  const pretty = require('pino-pretty') as (options: object) => DestinationStream
  return pretty({
    colorize: destination === undefined,
    translateTime: 'SYS:HH:MM:ss.l',
    destination: destination ?? 1,
    sync: true,
  })
}

type LineLevel = 'debug' | 'info' | 'warn' | 'error'

// A request's child is built by pino only once a line of it is written: most requests log
// nothing at LOG_LEVEL=warn or above, and a child per request would cost every one of them.
function adapt(base: pino.Logger, bindings?: LogFields): Logger {
  let target: pino.Logger | undefined = bindings === undefined ? base : undefined
  const at =
    (level: LineLevel) =>
    (msg: string, fields?: LogFields): void => {
      if (!base.isLevelEnabled(level)) return
      target ??= base.child(bindings ?? {})
      target[level](fields ?? {}, msg)
    }
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => adapt(base, { ...bindings, ...more }),
  }
}

/**
 * `logger` with `bindings` on every line: its own `child` when it has one, else a wrapper.
 *
 * @example
 * ```ts
 * const log = childLogger(logger, { requestId: ctx.state.requestId })
 * ```
 */
export function childLogger(logger: Logger, bindings: LogFields): Logger {
  if (typeof logger.child === 'function') return logger.child(bindings)
  return {
    debug: (msg, fields) => logger.debug(msg, { ...bindings, ...fields }),
    info: (msg, fields) => logger.info(msg, { ...bindings, ...fields }),
    warn: (msg, fields) => logger.warn(msg, { ...bindings, ...fields }),
    error: (msg, fields) => logger.error(msg, { ...bindings, ...fields }),
  }
}

/**
 * A logger that drops everything: the default of `createApp` in tests.
 *
 * @example
 * ```ts
 * createApp({ auth, store, logger: silentLogger })
 * ```
 */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
}
