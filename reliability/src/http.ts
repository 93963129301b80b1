import { Agent, type IncomingHttpHeaders, request } from 'node:http'

/** One HTTP exchange as a test sees it. */
export interface HttpResult {
  /** The status, or 0 when no response came (connection refused or reset, timeout). */
  status: number
  headers: IncomingHttpHeaders
  /** The raw body text. */
  text: string
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  body: unknown
  /** Wall time from sending to the end of the body (or the failure), in ms. */
  ms: number
  /** Why no response came, when none did. */
  error?: string
}

/** Options of {@link httpRequest}. */
export interface HttpRequestOptions {
  /** @default 'GET' */
  method?: string
  /** @default none */
  headers?: Record<string, string>
  /** A value to send as JSON, or a raw string or buffer sent as is. @default no body */
  json?: unknown
  /** A raw body; wins over `json`. @default no body */
  raw?: string | Buffer
  /** Gives up (status 0, error `timeout`) after this many ms. @default 10_000 */
  timeoutMs?: number
  /** The connection pool. @default a new connection per request */
  agent?: Agent
}

/**
 * Sends one request with Node's own HTTP client and never throws: a refused, reset or timed
 * out exchange is a result with status 0, so load loops can count it.
 *
 * @example
 * ```ts
 * const res = await httpRequest(`${url}/auth/refresh`, { method: 'POST', json: { refreshToken } })
 * ```
 */
export function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpResult> {
  const started = performance.now()
  const timeoutMs = options.timeoutMs ?? 10_000
  const payload =
    options.raw !== undefined
      ? options.raw
      : options.json === undefined
        ? undefined
        : JSON.stringify(options.json)
  const headers: Record<string, string> = { ...options.headers }
  if (payload !== undefined) {
    if (options.raw === undefined && headers['content-type'] === undefined) {
      headers['content-type'] = 'application/json'
    }
    headers['content-length'] = String(Buffer.byteLength(payload))
  }
  return new Promise((resolve) => {
    let settled = false
    const finish = (result: Omit<HttpResult, 'ms'>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({ ...result, ms: performance.now() - started })
    }
    // The path goes out exactly as given: a URL object would resolve `%2e%2e` and the like.
    const { origin, hostname, port } = new URL(url)
    const req = request(
      {
        hostname,
        port,
        path: url.slice(origin.length) || '/',
        method: options.method ?? 'GET',
        headers,
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', (error) =>
          finish({ status: 0, headers: {}, text: '', body: undefined, error: error.message }),
        )
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let body: unknown
          try {
            body = text === '' ? undefined : JSON.parse(text)
          } catch {
            body = undefined
          }
          finish({ status: res.statusCode ?? 0, headers: res.headers, text, body })
        })
      },
    )
    const timer = setTimeout(() => {
      finish({ status: 0, headers: {}, text: '', body: undefined, error: 'timeout' })
      req.destroy()
    }, timeoutMs)
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish({
        status: 0,
        headers: {},
        text: '',
        body: undefined,
        error: error.code ?? error.message,
      }),
    )
    if (payload !== undefined) req.write(payload)
    req.end()
  })
}

/**
 * A keep-alive connection pool for load loops, so they measure the server rather than TCP
 * handshakes.
 *
 * @example
 * ```ts
 * const agent = keepAliveAgent(64)
 * await httpRequest(url, { agent })
 * agent.destroy()
 * ```
 */
export function keepAliveAgent(maxSockets = 64): Agent {
  return new Agent({ keepAlive: true, maxSockets })
}
