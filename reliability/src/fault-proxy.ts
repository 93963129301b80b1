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
 * - `silence`: forwards it, lets the server rotate, then never answers and keeps the connection
 *   open: the client's own timeout is all that ends it.
 * - `late`: forwards it, lets the server rotate, and sends the answer only after `lateMs`
 *   (meant to be past the client's timeout).
 */
export type RefreshFault =
  | 'pass'
  | 'slow'
  | 'stall'
  | 'drop'
  | 'lose'
  | 'error'
  | 'silence'
  | 'late'

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
  /** @default 8000 */
  lateMs?: number
  /** Pages the proxy serves itself, by path (a page on the API's origin, for a browser). */
  pages?: Readonly<Record<string, { contentType: string; body: string }>>
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
  /** The status of every answer the token server gave to a refresh, in order. */
  refreshStatuses: number[]
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
  const lateMs = options.lateMs ?? 8_000
  const pages = options.pages ?? {}
  let faultFor = options.faultFor ?? (() => 'pass' as const)
  const stats: FaultProxyStats = {
    refreshes: 0,
    faults: { pass: 0, slow: 0, stall: 0, drop: 0, lose: 0, error: 0, silence: 0, late: 0 },
    maxOpenRefreshes: 0,
    maxUpstreamRefreshes: 0,
    others: 0,
    refreshStatuses: [],
  }
  let open = 0
  let upstreamOpen = 0

  const forward = (
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
    isRefresh: boolean,
    loseAnswer: boolean,
    deliver: 'now' | 'never' | 'late' = 'now',
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
          if (isRefresh) {
            upstreamOpen -= 1
            stats.refreshStatuses.push(answer.statusCode ?? 0)
          }
          if (loseAnswer || clientGone) {
            res.socket?.destroy()
            return
          }
          const send = () => {
            if (clientGone) return
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            res.end(Buffer.concat(chunks))
          }
          if (deliver === 'late') setTimeout(send, lateMs)
          else if (deliver === 'now') send()
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
      const path = (req.url ?? '').split('?')[0] ?? ''
      const page = req.method === 'GET' ? pages[path] : undefined
      if (page !== undefined) {
        res.writeHead(200, { 'content-type': page.contentType, 'cache-control': 'no-store' })
        res.end(page.body)
        return
      }
      const isRefresh = req.method === 'POST' && path === ROUTES.refresh
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
        case 'silence':
          forward(req, body, res, true, false, 'never')
          return
        case 'late':
          forward(req, body, res, true, false, 'late')
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
