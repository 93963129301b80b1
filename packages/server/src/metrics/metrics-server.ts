import { createServer, type Server } from 'node:http'
import { configDefault } from '../config/schema.js'
import { checkOptions, integerRule } from '../lib/options.js'
import type { ServerMetrics } from './metrics.js'

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  /** The metrics to serve. Required. */
  metrics: ServerMetrics
  /** `METRICS_PORT`; `0` picks a free port. Required. */
  port: number
  /** `METRICS_HOST`. @default '127.0.0.1' */
  host?: string
}

/** A listening metrics endpoint. */
export interface MetricsServer {
  readonly server: Server
  /** The port it listens on (the chosen one when asked for `0`). */
  readonly port: number
  close(): Promise<void>
}

/**
 * Serves `GET /metrics` in the Prometheus text format on a listener of its own, apart from
 * the API: scrapers reach it on an internal address, clients of the API never do.
 *
 * @example
 * ```ts
 * const { port } = await startMetricsServer({ metrics, port: 9464, host: '0.0.0.0' })
 * ```
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { metrics, port } = checkOptions('startMetricsServer', options, {
    port: integerRule(0, 65_535),
  })
  const host = options.host ?? configDefault('METRICS_HOST')
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' })
      res.end('method not allowed\n')
      return
    }
    metrics.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' })
        res.end(req.method === 'HEAD' ? undefined : body)
      },
      () => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('collect failed\n')
      },
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  return {
    server,
    port: typeof address === 'object' && address !== null ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
