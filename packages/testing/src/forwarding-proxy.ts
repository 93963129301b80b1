import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A reverse proxy in front of a server, as a deployment with `TRUST_PROXY=1` has one. */
export interface ForwardingProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  close(): Promise<void>
}

/**
 * A reverse proxy that forwards every request to `target` and appends the address it
 * received it from to `X-Forwarded-For`, as nginx's `$proxy_add_x_forwarded_for` does:
 * whatever the client wrote in the header stays to the left of that entry.
 *
 * @example
 * ```ts
 * const proxy = await startForwardingProxy(server.url)
 * await httpRequest(`${proxy.url}/auth/login`, { headers: { 'x-forwarded-for': '6.6.6.6' } })
 * ```
 */
export async function startForwardingProxy(target: string): Promise<ForwardingProxy> {
  const upstream = new URL(target)
  const server: Server = createServer((req, res) => {
    const seen = req.headers['x-forwarded-for']
    const forwarded = [seen, req.socket.remoteAddress].filter((part) => part !== undefined)
    const outgoing = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-forwarded-for': forwarded.join(', ') },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    outgoing.on('error', () => res.destroy())
    req.pipe(outgoing)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
