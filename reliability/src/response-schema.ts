import type { IncomingHttpHeaders } from 'node:http'
import { isServerErrorCode, ROUTES, statusOf } from '@refresh-kit/shared'

/** What an endpoint answers on success. */
type SuccessShape = 'tokens' | 'registered' | 'me' | 'sessions' | 'health' | 'jwks' | 'empty'

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isString = (value: unknown): value is string => typeof value === 'string'

const isIsoTime = (value: unknown): boolean =>
  isString(value) && !Number.isNaN(Date.parse(value)) && /^\d{4}-\d{2}-\d{2}T/.test(value)

function successProblems(shape: SuccessShape, body: unknown, text: string): string[] {
  switch (shape) {
    case 'empty':
      return text === '' ? [] : [`a body on an empty success: ${text.slice(0, 80)}`]
    case 'tokens':
      return isObject(body) &&
        isString(body.accessToken) &&
        body.accessToken.split('.').length === 3 &&
        isString(body.refreshToken) &&
        body.tokenType === 'Bearer' &&
        typeof body.expiresIn === 'number' &&
        body.expiresIn > 0 &&
        typeof body.refreshExpiresIn === 'number' &&
        body.refreshExpiresIn > 0
        ? []
        : [`not a TokenResponse: ${text.slice(0, 120)}`]
    case 'registered':
      return isObject(body) &&
        isObject(body.user) &&
        isString(body.user.id) &&
        isString(body.user.username)
        ? []
        : [`not a RegisterResponse: ${text.slice(0, 120)}`]
    case 'me':
      return isObject(body) &&
        isString(body.id) &&
        isString(body.username) &&
        isString(body.sessionId)
        ? []
        : [`not a MeResponse: ${text.slice(0, 120)}`]
    case 'sessions':
      return isObject(body) &&
        Array.isArray(body.sessions) &&
        body.sessions.every(
          (session: unknown) =>
            isObject(session) &&
            isString(session.id) &&
            isIsoTime(session.createdAt) &&
            isIsoTime(session.lastUsedAt) &&
            (session.userAgent === null || isString(session.userAgent)) &&
            typeof session.current === 'boolean',
        )
        ? []
        : [`not a SessionListResponse: ${text.slice(0, 120)}`]
    case 'health':
      return isObject(body) && body.status === 'ok' ? [] : [`not a HealthResponse: ${text}`]
    case 'jwks':
      return isObject(body) && Array.isArray(body.keys) ? [] : [`not a JwksResponse: ${text}`]
  }
}

/** Leaks an error body must never carry. */
const LEAK_PATTERN = /\n\s+at |ECONNREFUSED|ReplyError|ioredis|NOAUTH|WRONGPASS|node_modules/

/**
 * The problems of an error body against the contract: `{ error, message, details? }` with a
 * known code whose status is the one answered, and no stack trace or store message.
 *
 * @example
 * ```ts
 * expect(errorBodyProblems(401, res.body)).toEqual([])
 * ```
 */
export function errorBodyProblems(status: number, body: unknown, text = ''): string[] {
  if (!isObject(body)) return [`${status} without a JSON error body: ${text.slice(0, 120)}`]
  const problems: string[] = []
  if (!isServerErrorCode(body.error)) {
    problems.push(`unknown error code ${JSON.stringify(body.error)}`)
  } else if (statusOf(body.error) !== status) {
    problems.push(
      `${body.error} answered with ${status}, the contract says ${statusOf(body.error)}`,
    )
  }
  if (!isString(body.message)) problems.push('message is not a string')
  if (
    body.details !== undefined &&
    !(
      Array.isArray(body.details) &&
      body.details.every(
        (detail: unknown) => isObject(detail) && isString(detail.field) && isString(detail.problem),
      )
    )
  ) {
    problems.push(`details is not [{ field, problem }]: ${JSON.stringify(body.details)}`)
  }
  const extra = Object.keys(body).filter((key) => !['error', 'message', 'details'].includes(key))
  if (extra.length > 0) problems.push(`unexpected fields ${extra.join(', ')}`)
  if (LEAK_PATTERN.test(JSON.stringify(body)))
    problems.push(`leaks internals: ${text.slice(0, 200)}`)
  return problems
}

function shapeOf(method: string, path: string, status: number): SuccessShape | undefined {
  const route = path.split('?')[0] ?? path
  if (status === 204) return 'empty'
  if (method === 'POST' && (route === ROUTES.login || route === ROUTES.refresh)) return 'tokens'
  if (method === 'POST' && route === ROUTES.register && status === 201) return 'registered'
  if (method === 'GET' && route === ROUTES.me) return 'me'
  if (method === 'GET' && route === ROUTES.sessions) return 'sessions'
  if (method === 'GET' && (route === ROUTES.healthz || route === ROUTES.readyz)) return 'health'
  if (method === 'GET' && route === ROUTES.jwks) return 'jwks'
  // HEAD answers like GET without a body; OPTIONS lists the allowed methods in `Allow`.
  if (method === 'HEAD' || method === 'OPTIONS') return 'empty'
  return undefined
}

/**
 * The problems of the headers the contract requires: `Allow` on 405, `Retry-After` on 429
 * and 503, `Cache-Control: no-store` on `/auth/*`, and a `WWW-Authenticate` Bearer
 * challenge on every 401 of a protected route.
 *
 * @example
 * ```ts
 * expect(headerProblems('GET', '/auth/me', res.status, res.headers)).toEqual([])
 * ```
 */
export function headerProblems(
  method: string,
  path: string,
  status: number,
  headers: IncomingHttpHeaders,
): string[] {
  const route = path.split('?')[0] ?? path
  const problems: string[] = []
  if (status === 405 && headers.allow === undefined) problems.push('405 without an Allow header')
  if ((status === 429 || status === 503) && !/^\d+$/.test(String(headers['retry-after']))) {
    problems.push(`${status} without a Retry-After in seconds`)
  }
  if (route.startsWith('/auth/') && !/no-store/.test(String(headers['cache-control']))) {
    problems.push(`${status} on ${method} ${route} without Cache-Control: no-store`)
  }
  const isProtected =
    route === ROUTES.me ||
    route === ROUTES.sessions ||
    route === ROUTES.logoutAll ||
    route.startsWith(`${ROUTES.sessions}/`)
  if (
    isProtected &&
    status === 401 &&
    !/^Bearer realm="[^"]*"/.test(String(headers['www-authenticate']))
  ) {
    problems.push(`401 on ${route} without a Bearer WWW-Authenticate challenge`)
  }
  return problems
}

/**
 * The problems of any answer of the token server: a success must have the endpoint's success
 * shape, anything else the error body; an empty list means the answer is in the contract.
 *
 * @example
 * ```ts
 * expect(responseProblems('GET', '/auth/me', res.status, res.body, res.text)).toEqual([])
 * ```
 */
export function responseProblems(
  method: string,
  path: string,
  status: number,
  body: unknown,
  text: string,
): string[] {
  if (status >= 200 && status < 300) {
    const shape = shapeOf(method, path, status)
    return shape === undefined
      ? [`${status} on ${method} ${path}, which has no such success`]
      : successProblems(shape, body, text)
  }
  if (method === 'HEAD') return []
  return errorBodyProblems(status, body, text)
}
