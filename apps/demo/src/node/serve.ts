import { readFile, stat } from 'node:fs/promises'
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { API_PATH_PREFIXES, DEMO_CONFIG_PATH, type DemoConfig } from '../demo-config.js'

/** Options of {@link createDemoServer}. */
export interface DemoServerOptions {
  /** The built page (`dist/web`). */
  root: string
  /** The token server the API paths are forwarded to, e.g. `http://127.0.0.1:3000`. */
  apiUrl: string
  /** Published at `/demo-config.json` for the page. */
  config: DemoConfig
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
}

function isApiPath(path: string): boolean {
  return API_PATH_PREFIXES.some(
    (prefix) => path === prefix.replace(/\/$/, '') || path.startsWith(prefix),
  )
}

function forward(apiUrl: URL, req: IncomingMessage, res: ServerResponse): void {
  const upstream = httpRequest(
    {
      protocol: apiUrl.protocol,
      hostname: apiUrl.hostname,
      port: apiUrl.port,
      method: req.method,
      path: req.url,
      headers: {
        ...req.headers,
        host: apiUrl.host,
        'x-forwarded-for': req.socket.remoteAddress ?? '',
        'x-forwarded-host': req.headers.host ?? '',
      },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    },
  )
  upstream.on('error', () => {
    if (res.headersSent) {
      res.destroy()
      return
    }
    res.writeHead(502, { 'content-type': 'application/json; charset=utf-8' })
    res.end(
      JSON.stringify({
        error: 'service_unavailable',
        message: 'the token server is not answering',
      }),
    )
  })
  req.pipe(upstream)
}

async function serveFile(root: string, path: string, res: ServerResponse): Promise<void> {
  const relative = normalize(decodeURIComponent(path)).replace(/^([/\\])+/, '')
  let file = join(root, relative)
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403).end()
    return
  }
  const info = await stat(file).catch(() => undefined)
  // Unknown paths get the page itself, so a reload on any path still shows the demo.
  if (info === undefined || info.isDirectory()) file = join(root, 'index.html')
  const body = await readFile(file)
  const type = TYPES[extname(file)] ?? 'application/octet-stream'
  const hashed = file.includes(`${sep}assets${sep}`)
  res.writeHead(200, {
    'content-type': type,
    'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  })
  res.end(body)
}

/**
 * The demo's web server: the built page, `/demo-config.json`, and the API paths forwarded to
 * the token server, so page and API share one origin (no CORS preflight, and `localStorage`
 * and the refresh lock are scoped to the page's origin as in a real deployment behind one
 * host). Returns the server without listening.
 *
 * @example
 * ```ts
 * const server = createDemoServer({ root: 'dist/web', apiUrl: 'http://127.0.0.1:3000', config })
 * server.listen(5173)
 * ```
 */
export function createDemoServer(options: DemoServerOptions): Server {
  const apiUrl = new URL(options.apiUrl)
  const root = resolve(options.root)
  const config = JSON.stringify(options.config)
  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://demo').pathname
    if (isApiPath(path)) return forward(apiUrl, req, res)
    if (path === DEMO_CONFIG_PATH) {
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
      })
      res.end(config)
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    serveFile(root, path, res).catch(() => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
}
