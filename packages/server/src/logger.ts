/** Log levels, lowest first; `silent` logs nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

/** Structured fields of one log line. */
export type LogFields = Record<string, unknown>

/** What the server logs through; inject your own to route lines elsewhere. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lines below this level are dropped. @default 'info' */
  level?: LogLevel
  /** Where each line goes, newline included. @default writes to `process.stdout` */
  write?: (line: string) => void
  /** The clock that stamps each line, in ms since the epoch. @default Date.now */
  now?: () => number
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 }
const LEVELS = Object.keys(RANK) as LogLevel[]

function serializeError(value: unknown): unknown {
  if (!(value instanceof Error)) return value
  return { name: value.name, message: value.message, stack: value.stack }
}

/**
 * A logger that writes one JSON object per line, dropping lines below `level`.
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: 'warn' })
 * logger.warn('JWT_SECRET is not set', { generated: true })
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info'
  if (!LEVELS.includes(level)) {
    throw new TypeError(`createLogger: options.level must be one of ${LEVELS.join(', ')}`)
  }
  const write = options.write ?? ((line: string) => void process.stdout.write(line))
  const now = options.now ?? Date.now
  const threshold = RANK[level]
  const log =
    (lineLevel: Exclude<LogLevel, 'silent'>) =>
    (msg: string, fields: LogFields = {}): void => {
      if (RANK[lineLevel] < threshold) return
      const entries = Object.entries(fields).map(([key, value]) => [key, serializeError(value)])
      const line = {
        level: lineLevel,
        time: new Date(now()).toISOString(),
        msg,
        ...Object.fromEntries(entries),
      }
      write(`${JSON.stringify(line)}\n`)
    }
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}

/**
 * A logger that drops everything: the default of `createApp` in tests.
 *
 * @example
 * ```ts
 * createApp({ auth, store, logger: silentLogger })
 * ```
 */
export const silentLogger: Logger = createLogger({ level: 'silent', write: () => {} })
