import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A reverse proxy in front of a server, as a deployment with `TRUST_PROXY=1` has one. */
export interface ForwardingProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  close(): Promise<void>
}

/** Options of {@link startForwardingProxy}. */
export interface ForwardingProxyOptions {
  /**
   * The entry the proxy appends for a connection, e.g. with its port as some gateways write it.
   * @default the address it received the request from
   */
  peer?: (connection: { address: string; port: number }) => string
  /** The public host and protocol it also appends (`X-Forwarded-Host`/`-Proto`, or `host=`/`proto=`). @default none */
  forwardedHost?: { host: string; proto: string }
  /** The header family it writes: `X-Forwarded-*`, or RFC 7239 `Forwarded`. @default 'x-forwarded' */
  family?: 'x-forwarded' | 'forwarded'
}

/** `seen, entry`: what the client (or an earlier hop) wrote stays to the left. */
const append = (seen: string | string[] | undefined, entry: string) =>
  [seen, entry]
    .flat()
    .filter((part) => part !== undefined)
    .join(', ')

/**
 * A reverse proxy that forwards every request to `target` and appends the address it
 * received it from to `X-Forwarded-For`, as nginx's `$proxy_add_x_forwarded_for` does:
 * whatever the client wrote in the header stays to the left of that entry. Every other
 * header, the other family's included, passes on as the client wrote it.
 *
 * @example
 * ```ts
 * const proxy = await startForwardingProxy(server.url)
 * await httpRequest(`${proxy.url}/auth/login`, { headers: { 'x-forwarded-for': '6.6.6.6' } })
 * ```
 */
export async function startForwardingProxy(
  target: string,
  options: ForwardingProxyOptions = {},
): Promise<ForwardingProxy> {
  const upstream = new URL(target)
  const family = options.family ?? 'x-forwarded'
  const server: Server = createServer((req, res) => {
    const connection = { address: req.socket.remoteAddress ?? '', port: req.socket.remotePort ?? 0 }
    const peer = options.peer?.(connection) ?? connection.address
    const outward = options.forwardedHost
    const added: Record<string, string> =
      family === 'forwarded'
        ? {
            // RFC 7239: an IPv6 address or a port makes the value a quoted string.
            forwarded: append(
              req.headers.forwarded,
              `for="${peer}"${outward === undefined ? '' : `;host=${outward.host};proto=${outward.proto}`}`,
            ),
          }
        : {
            'x-forwarded-for': append(req.headers['x-forwarded-for'], peer),
            ...(outward === undefined
              ? {}
              : {
                  'x-forwarded-host': append(req.headers['x-forwarded-host'], outward.host),
                  'x-forwarded-proto': append(req.headers['x-forwarded-proto'], outward.proto),
                }),
          }
    const outgoing = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, ...added },
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
