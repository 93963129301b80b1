import { connect } from 'node:net'

/** Options of {@link probeRedis}. */
export interface RedisProbeOptions {
  /** How long to wait for the whole exchange. @default 1500 */
  timeoutMs?: number
}

/** What a Redis URL answered. */
export type RedisProbeResult =
  | { status: 'ok' }
  | { status: 'unreachable'; reason: string }
  | { status: 'auth_failed'; reason: string }

function command(...args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`
}

/**
 * Asks a Redis URL whether it accepts its credentials, with `AUTH` (when the URL has a
 * password) and `PING` only: it never writes. A Redis that rejects the password, or that has
 * none while the URL carries one (an unprotected Redis that is not the demo's), counts as
 * `auth_failed`.
 *
 * @example
 * ```ts
 * const result = await probeRedis('redis://:abcd1234@127.0.0.1:6379')
 * if (result.status !== 'ok') console.warn(result.reason)
 * ```
 */
export function probeRedis(
  url: string,
  options: RedisProbeOptions = {},
): Promise<RedisProbeResult> {
  const timeoutMs = options.timeoutMs ?? 1500
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return Promise.resolve({ status: 'unreachable', reason: `REDIS_URL is not a URL: ${url}` })
  }
  const host = parsed.hostname === '' ? '127.0.0.1' : parsed.hostname
  const port = Number(parsed.port === '' ? 6379 : parsed.port)
  const user = decodeURIComponent(parsed.username)
  const password = decodeURIComponent(parsed.password)
  const where = `${host}:${port}`

  return new Promise((resolve) => {
    const socket = connect({ host, port })
    let buffer = ''
    let settled = false
    const finish = (result: RedisProbeResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(
      () =>
        finish({
          status: 'unreachable',
          reason: `Redis at ${where} did not answer within ${timeoutMs} ms`,
        }),
      timeoutMs,
    )
    const expected = password === '' ? 1 : 2
    socket.setEncoding('utf8')
    socket.on('connect', () => {
      const auth =
        password === ''
          ? ''
          : user === ''
            ? command('AUTH', password)
            : command('AUTH', user, password)
      socket.write(`${auth}${command('PING')}`)
    })
    socket.on('data', (chunk: string) => {
      buffer += chunk
      const lines = buffer.split('\r\n').slice(0, -1)
      const error = lines.find((line) => line.startsWith('-'))
      if (error !== undefined) {
        const reason = /without any password configured/.test(error)
          ? "has no password, so it is not the demo's Redis (left untouched)"
          : `refused the credentials (${error.slice(1).split('. ')[0]})`
        finish({ status: 'auth_failed', reason: `Redis at ${where} ${reason}` })
      } else if (lines.length >= expected) {
        finish({ status: 'ok' })
      }
    })
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish({
        status: 'unreachable',
        reason: `Redis at ${where} is not reachable (${error.code ?? error.message})`,
      }),
    )
    socket.on('close', () =>
      finish({ status: 'unreachable', reason: `Redis at ${where} closed the connection` }),
    )
  })
}
