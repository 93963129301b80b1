import type { TokenResponse } from '@refresh-kit/shared'
import { ROUTES } from '@refresh-kit/shared'
import { type HttpResult, httpRequest } from './http.js'

/** One signed-in session a test drives by hand. */
export interface Session {
  username: string
  /** The latest access token. */
  accessToken: string
  /** The latest refresh token; replaced on every successful rotation. */
  refreshToken: string
}

/** A password that passes the contract's bounds. */
export const PASSWORD = 'correct horse battery staple'

function assertTokens(result: HttpResult, what: string): TokenResponse {
  if (result.status !== 200) {
    throw new Error(`${what} answered ${result.status} ${result.error ?? ''} ${result.text}`)
  }
  return result.body as TokenResponse
}

/**
 * Registers one user per name and opens `sessionsPerUser` sessions for each, through the
 * HTTP API. Users and logins run a few at a time, since each costs real scrypt work.
 *
 * @example
 * ```ts
 * const sessions = await openSessions(server.url, ['ada', 'grace'], 5)
 * ```
 */
export async function openSessions(
  baseUrl: string,
  usernames: readonly string[],
  sessionsPerUser: number,
): Promise<Session[]> {
  const sessions: Session[] = []
  await Promise.all(
    usernames.map(async (username) => {
      const registered = await httpRequest(`${baseUrl}${ROUTES.register}`, {
        method: 'POST',
        json: { username, password: PASSWORD },
        timeoutMs: 30_000,
      })
      if (registered.status !== 201) {
        throw new Error(`register ${username} answered ${registered.status} ${registered.text}`)
      }
      for (let i = 0; i < sessionsPerUser; i++) {
        const tokens = assertTokens(
          await httpRequest(`${baseUrl}${ROUTES.login}`, {
            method: 'POST',
            json: { username, password: PASSWORD },
            timeoutMs: 30_000,
          }),
          `login ${username}`,
        )
        sessions.push({
          username,
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
        })
      }
    }),
  )
  return sessions
}

/**
 * A username no other test run uses, within the contract's bounds.
 *
 * @example
 * ```ts
 * uniqueUsername('outage') // 'outage-k3j9x2-0'
 * ```
 */
export function uniqueUsername(label: string, index = 0): string {
  return `${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}-${index}`
}
