import {
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { ROUTES } from '@refresh-kit/shared'

/**
 * What the proxy does to one refresh request:
 * - `pass`: forwards it.
 * - `slow`: forwards it after `slowMs` (meant to be within the client's timeout).
 * - `stall`: holds it for `stallMs` (meant to be past the client's timeout), then forwards it
 *   only if the client is still there.
 * - `drop`: closes the connection without forwarding: the server never sees it.
 * - `lose`: forwards it, lets the server rotate, then closes the connection instead of
 *   answering: the response is lost (the case the reuse grace window exists for).
 * - `error`: answers `500 internal_error` without forwarding.
 */
export type RefreshFault = 'pass' | 'slow' | 'stall' | 'drop' | 'lose' | 'error'

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Where requests go, e.g. `http://127.0.0.1:4000`. Required. */
  upstream?: string
  /** The fault for the n-th refresh request (0-based); other routes always pass. @default always 'pass' */
  faultFor?: (index: number) => RefreshFault
  /** @default 300 */
  slowMs?: number
  /** @default 3000 */
  stallMs?: number
}

/** What the proxy saw. */
export interface FaultProxyStats {
  /** Refresh requests received. */
  refreshes: number
  /** Faults applied, by kind. */
  faults: Record<RefreshFault, number>
  /** Most refresh requests open at once on the client side of the proxy. */
  maxOpenRefreshes: number
  /** Most refresh requests in flight at once at the token server. */
  maxUpstreamRefreshes: number
  /** Every other request received. */
  others: number
}

/** A token server with faults in front of it. */
export interface FaultProxy {
  readonly url: string
  readonly stats: FaultProxyStats
  /** Changes the fault plan from now on. */
  setFaultFor(faultFor: (index: number) => RefreshFault): void
  close(): Promise<void>
}

/**
 * A small HTTP proxy in front of a real token server that injects faults into
 * `POST /auth/refresh` and counts how many refreshes overlap, on both of its sides.
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy({ upstream: app.url, faultFor: (n) => (n % 3 === 1 ? 'error' : 'pass') })
 * ```
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = options.upstream
  if (upstream === undefined) throw new TypeError('startFaultProxy: options.upstream is required')
  const slowMs = options.slowMs ?? 300
  const stallMs = options.stallMs ?? 3_000
  let faultFor = options.faultFor ?? (() => 'pass' as const)
  const stats: FaultProxyStats = {
    refreshes: 0,
    faults: { pass: 0, slow: 0, stall: 0, drop: 0, lose: 0, error: 0 },
    maxOpenRefreshes: 0,
    maxUpstreamRefreshes: 0,
    others: 0,
  }
  let open = 0
  let upstreamOpen = 0

  const forward = (
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
    isRefresh: boolean,
    loseAnswer: boolean,
  ) => {
    let clientGone = false
    res.on('close', () => {
      clientGone = true
    })
    if (isRefresh) {
      upstreamOpen += 1
      stats.maxUpstreamRefreshes = Math.max(stats.maxUpstreamRefreshes, upstreamOpen)
    }
    const out = request(
      `${upstream}${req.url ?? '/'}`,
      {
        method: req.method,
        headers: { ...req.headers, host: new URL(upstream).host },
        agent: false,
      },
      (answer) => {
        const chunks: Buffer[] = []
        answer.on('data', (chunk: Buffer) => chunks.push(chunk))
        answer.on('end', () => {
          if (isRefresh) upstreamOpen -= 1
          if (loseAnswer || clientGone) {
            res.socket?.destroy()
            return
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          res.end(Buffer.concat(chunks))
        })
      },
    )
    out.on('error', () => {
      if (isRefresh) upstreamOpen -= 1
      res.socket?.destroy()
    })
    out.end(body)
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const isRefresh = req.method === 'POST' && (req.url ?? '').split('?')[0] === ROUTES.refresh
      if (!isRefresh) {
        stats.others += 1
        forward(req, body, res, false, false)
        return
      }
      const fault = faultFor(stats.refreshes)
      stats.refreshes += 1
      stats.faults[fault] += 1
      open += 1
      stats.maxOpenRefreshes = Math.max(stats.maxOpenRefreshes, open)
      let closed = false
      res.on('close', () => {
        closed = true
        open -= 1
      })
      switch (fault) {
        case 'pass':
          forward(req, body, res, true, false)
          return
        case 'lose':
          forward(req, body, res, true, true)
          return
        case 'slow':
          setTimeout(() => {
            if (!closed) forward(req, body, res, true, false)
          }, slowMs)
          return
        case 'stall':
          setTimeout(() => {
            // A client that gave up has closed the connection: nothing reaches the server.
            if (!closed) forward(req, body, res, true, false)
          }, stallMs)
          return
        case 'drop':
          res.socket?.destroy()
          return
        case 'error':
          res.writeHead(500, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ error: 'internal_error', message: 'injected fault' }))
          return
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    setFaultFor(next) {
      faultFor = next
    },
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error === undefined ? resolve() : reject(error)))
      }),
  }
}
