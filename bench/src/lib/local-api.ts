import { createHmac, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A pair of tokens as the token server's `TokenResponse` carries them. */
export interface TokenPair {
  accessToken: string
  refreshToken: string
  tokenType: 'Bearer'
  expiresIn: number
  refreshExpiresIn: number
}

/** What the local API counted since the last {@link LocalApi.resetCounts}. */
export interface LocalApiCounts {
  refresh: number
  protected: number
  rejected: number
}

/** A small in-process token API speaking the refresh-kit wire contract. */
export interface LocalApi {
  readonly baseURL: string
  /** Signs in a fresh session and returns its first pair. */
  issue(): TokenPair
  /** From now on every access token issued so far is answered `401 token_expired`, as after its `exp`. */
  expireAll(): void
  counts(): LocalApiCounts
  resetCounts(): void
  close(): Promise<void>
}

interface Session {
  id: string
  generation: number
  /** The pair issued for the current generation, answered again within the reuse grace. */
  current: TokenPair | null
}

const ACCESS_TTL_SECONDS = 900
const REFRESH_TTL_SECONDS = 7 * 24 * 3600

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')

/**
 * Starts a loopback HTTP server that behaves like the token server on the paths the SDK
 * benchmarks use: `POST /auth/login`, `POST /auth/refresh` (rotation with the reuse grace:
 * the immediately previous refresh token gets the current successor) and `GET /auth/me`
 * (Bearer, `401 token_expired` with an RFC 6750 challenge for an expired token). It counts
 * refresh calls, which is what a burst is judged by. Costs nothing that would blur the
 * client-side figures: no scrypt, no Redis; access tokens are real HS256 JWTs so a client
 * that reads `exp` sees a sensible one.
 *
 * @example
 * ```ts
 * const api = await startLocalApi()
 * const pair = api.issue(); api.expireAll()
 * ```
 */
export async function startLocalApi(): Promise<LocalApi> {
  const key = randomBytes(32)
  const sessions = new Map<string, Session>()
  const byRefresh = new Map<string, { session: Session; generation: number }>()
  // Each access token remembers its serial; tokens below the watermark count as expired.
  const accessTokens = new Map<string, { session: Session; serial: number }>()
  let serial = 0
  let expiredBelow = 0
  let counts: LocalApiCounts = { refresh: 0, protected: 0, rejected: 0 }

  const signAccess = (session: Session): string => {
    const now = Math.floor(Date.now() / 1000)
    const header = base64url({ alg: 'HS256', typ: 'at+jwt' })
    const payload = base64url({
      iss: 'refresh-kit-bench',
      aud: 'refresh-kit-bench',
      sub: 'user-1',
      sid: session.id,
      jti: randomBytes(9).toString('base64url'),
      iat: now,
      exp: now + ACCESS_TTL_SECONDS,
      username: 'bench',
    })
    const signature = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url')
    const token = `${header}.${payload}.${signature}`
    serial += 1
    accessTokens.set(token, { session, serial })
    return token
  }
  const pairFor = (session: Session): TokenPair => {
    const refreshToken = `rt.${session.id}.${session.generation}.${randomBytes(16).toString('base64url')}`
    byRefresh.set(refreshToken, { session, generation: session.generation })
    return {
      accessToken: signAccess(session),
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: ACCESS_TTL_SECONDS,
      refreshExpiresIn: REFRESH_TTL_SECONDS,
    }
  }
  const issue = (): TokenPair => {
    const session: Session = {
      id: randomBytes(16).toString('base64url'),
      generation: 0,
      current: null,
    }
    const pair = pairFor(session)
    session.current = pair
    sessions.set(session.id, session)
    return pair
  }

  const send = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    const text = body === undefined ? '' : JSON.stringify(body)
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(text),
      ...headers,
    })
    res.end(text)
  }
  const unauthorized = (res: ServerResponse, error: string, message: string) => {
    counts.rejected += 1
    send(
      res,
      401,
      { error, message },
      {
        'www-authenticate': `Bearer realm="refresh-kit", error="invalid_token", error_description="${message}"`,
      },
    )
  }
  const readJson = async (req: IncomingMessage): Promise<Record<string, unknown> | null> => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    try {
      const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null
    } catch {
      return null
    }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'POST' && path === '/auth/login') {
      await readJson(req)
      send(res, 200, issue())
      return
    }
    if (req.method === 'POST' && path === '/auth/refresh') {
      counts.refresh += 1
      const body = await readJson(req)
      const found =
        typeof body?.refreshToken === 'string' ? byRefresh.get(body.refreshToken) : undefined
      if (found === undefined || !sessions.has(found.session.id)) {
        counts.rejected += 1
        send(res, 401, {
          error: 'invalid_refresh_token',
          message: 'the refresh token is not valid',
        })
        return
      }
      const { session, generation } = found
      if (generation === session.generation) {
        session.generation += 1
        const pair = pairFor(session)
        session.current = pair
        send(res, 200, pair)
      } else if (generation === session.generation - 1 && session.current !== null) {
        // Reuse grace: the same successor, with a fresh access token.
        send(res, 200, { ...session.current, accessToken: signAccess(session) })
      } else {
        sessions.delete(session.id)
        counts.rejected += 1
        send(res, 401, {
          error: 'refresh_token_reused',
          message: 'the refresh token was already used',
        })
      }
      return
    }
    if (req.method === 'GET' && path === '/auth/me') {
      counts.protected += 1
      const header = req.headers.authorization
      if (header === undefined || !header.startsWith('Bearer ')) {
        counts.rejected += 1
        send(
          res,
          401,
          { error: 'missing_token', message: 'a Bearer token is required' },
          {
            'www-authenticate': 'Bearer realm="refresh-kit"',
          },
        )
        return
      }
      const token = header.slice('Bearer '.length)
      const known = accessTokens.get(token)
      if (known === undefined)
        return unauthorized(res, 'invalid_token', 'the access token is not valid')
      if (known.serial <= expiredBelow)
        return unauthorized(res, 'token_expired', 'the access token has expired')
      send(res, 200, { id: 'user-1', username: 'bench', sessionId: known.session.id })
      return
    }
    send(res, 404, { error: 'not_found', message: 'no such route' })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      send(res, 500, { error: 'internal_error', message: String(error) })
    })
  })
  server.keepAliveTimeout = 30_000
  // A backlog as deep as the kernel allows: a 1,000-request burst opens 1,000 connections at
  // once, and a dropped SYN costs a 1 s retransmit that would swamp what is measured.
  await new Promise<void>((resolve) =>
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve),
  )
  const { port } = server.address() as AddressInfo

  return {
    baseURL: `http://127.0.0.1:${port}`,
    issue,
    expireAll: () => {
      expiredBelow = serial
    },
    counts: () => ({ ...counts }),
    resetCounts: () => {
      counts = { refresh: 0, protected: 0, rejected: 0 }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
