import type { Agent } from 'node:http'
import { ROUTES } from '@refresh-kit/shared'
import type { Session } from './accounts.js'
import { httpRequest } from './http.js'
import { errorCodeOf, type Sample } from './load.js'

/** Options of {@link meOnce} and {@link refreshOnce}. */
export interface SessionOpOptions {
  agent?: Agent
  /** @default 10_000 */
  timeoutMs?: number
}

/**
 * `GET /auth/me` with the session's access token.
 *
 * @example
 * ```ts
 * const sample = await meOnce(url, session, { agent })
 * ```
 */
export async function meOnce(
  baseUrl: string,
  session: Session,
  options: SessionOpOptions = {},
): Promise<Sample> {
  const startedAt = performance.now()
  const res = await httpRequest(`${baseUrl}${ROUTES.me}`, {
    headers: { authorization: `Bearer ${session.accessToken}` },
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.agent === undefined ? {} : { agent: options.agent }),
  })
  const error = errorCodeOf(res.body) ?? res.error
  return {
    kind: 'me',
    status: res.status,
    startedAt,
    ms: res.ms,
    ...(error === undefined ? {} : { error }),
  }
}

/**
 * `POST /auth/refresh` with the session's refresh token; on 200 the session takes the rotated
 * pair, on anything else it keeps its tokens (as a careful client does on a transient error).
 *
 * @example
 * ```ts
 * const sample = await refreshOnce(url, session)
 * ```
 */
export async function refreshOnce(
  baseUrl: string,
  session: Session,
  options: SessionOpOptions = {},
): Promise<Sample & { retryAfter?: string }> {
  const startedAt = performance.now()
  const res = await httpRequest(`${baseUrl}${ROUTES.refresh}`, {
    method: 'POST',
    json: { refreshToken: session.refreshToken },
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.agent === undefined ? {} : { agent: options.agent }),
  })
  if (res.status === 200) {
    const body = res.body as { accessToken: string; refreshToken: string }
    session.accessToken = body.accessToken
    session.refreshToken = body.refreshToken
  }
  const error = errorCodeOf(res.body) ?? res.error
  const retryAfter = res.headers['retry-after']
  return {
    kind: 'refresh',
    status: res.status,
    startedAt,
    ms: res.ms,
    ...(error === undefined ? {} : { error }),
    ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
  }
}
