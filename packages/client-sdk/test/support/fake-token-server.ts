import type { TokenResponse } from '@refresh-kit/shared'
import { HttpResponse, http } from 'msw'

/** Origin of the fake token server and of the API it protects. */
export const API = 'https://api.test'
/** Another origin, which must never see a token. */
export const OTHER = 'https://other.test'

/** A promise that a test resolves when it chooses. */
export interface Gate {
  promise: Promise<void>
  open(): void
}

export function gate(): Gate {
  let open = () => {}
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

/** One request the fake API received. */
export interface SeenRequest {
  method: string
  url: string
  token: string | undefined
  status: number
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/**
 * An msw stand-in for the reference server's wire: login, rotating refresh, logout, and a
 * protected `/api/*` that answers `401 token_expired` past an access token's `exp` on the
 * SERVER's clock. Everything a user would notice is counted.
 */
export function createFakeTokenServer(
  options: {
    accessTtlSeconds?: number
    /** Answer each login with a `deviceToken`, as the body transport of the reference server does. */
    deviceTokens?: boolean
  } = {},
) {
  const accessTtl = options.accessTtlSeconds ?? 900
  let issued = 0
  const state = {
    /** The server's clock in ms; tests move it. */
    now: Date.parse('2026-01-01T00:00:00Z'),
    refreshCalls: 0,
    presentedRefreshTokens: [] as string[],
    logouts: [] as string[],
    api: [] as SeenRequest[],
    other: [] as { authorization: string | null }[],
    /** When set, refresh answers wait for it. */
    refreshGate: null as Gate | null,
    /** When set, `/api/slow` answers wait for it. */
    slowGate: null as Gate | null,
    /** When set, replaces the refresh answer unless it returns undefined (the call is still counted). */
    refreshReply: null as
      | ((call: number) => Response | undefined | Promise<Response | undefined>)
      | null,
    /** `/api/slow` requests that reached the server (before waiting on `slowGate`). */
    slowArrived: 0,
    /** Session ids ended by `DELETE /auth/sessions/:id`. */
    revokedSessions: [] as string[],
    /** Users whose sessions `POST /auth/logout-all` ended. */
    logoutAll: [] as string[],
    /** When set, `POST /auth/logout-all` answers 503. */
    failLogoutAll: false,
    /** Every login body, as the server received it. */
    logins: [] as Record<string, unknown>[],
    /** Every `POST /auth/password` that reached the server: its bearer and body. */
    passwordChanges: [] as { token: string | undefined; body: unknown; status: number }[],
    /** Each user's password; a user not listed has `correct horse battery`. */
    passwords: new Map<string, string>(),
  }
  const passwordOf = (user: string) => state.passwords.get(user) ?? 'correct horse battery'
  let devices = 0
  const access = new Map<string, { user: string; sid: string; exp: number; revoked: boolean }>()
  const refresh = new Map<string, string>()
  const sessions = new Map<string, string>()

  const issue = (user: string, session?: string): TokenResponse => {
    issued += 1
    const sid = session ?? `s-${issued}`
    const exp = Math.floor(state.now / 1000) + accessTtl
    const accessToken = `${base64url({ alg: 'HS256', typ: 'at+jwt' })}.${base64url({ sub: user, sid, exp, n: issued })}.sig${issued}`
    const refreshToken = `rt-${user}-${issued}`
    access.set(accessToken, { user, sid, exp, revoked: false })
    refresh.set(refreshToken, user)
    sessions.set(refreshToken, sid)
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: accessTtl,
      refreshExpiresIn: 7 * 24 * 3600,
    }
  }

  const error = (status: number, code: string) =>
    HttpResponse.json({ error: code, message: code }, { status })

  const check = (request: Request): { status: number; user?: string; token?: string } => {
    const header = request.headers.get('authorization')
    const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined
    if (token === undefined) return { status: 401 }
    const entry = access.get(token)
    if (entry === undefined) return { status: 401, token }
    if (entry.revoked || entry.exp * 1000 <= state.now) return { status: 401, token }
    return { status: 200, user: entry.user, token }
  }

  const handlers = [
    http.post(`${API}/auth/login`, async ({ request }) => {
      const body = (await request.json()) as { username: string; password: string }
      state.logins.push(body)
      if (body.password !== passwordOf(body.username)) return error(401, 'invalid_credentials')
      devices += 1
      return HttpResponse.json({
        ...issue(body.username),
        ...(options.deviceTokens && { deviceToken: `dt-${body.username}-${devices}` }),
      })
    }),
    http.post(`${API}/auth/password`, async ({ request }) => {
      const auth = check(request)
      const body = (await request.json()) as { currentPassword: string; newPassword: string }
      const answer = (() => {
        if (auth.status !== 200 || auth.user === undefined) return error(401, 'token_expired')
        if (body.currentPassword !== passwordOf(auth.user)) {
          return error(401, 'invalid_credentials')
        }
        if (body.newPassword.length < 15 || /^password/i.test(body.newPassword)) {
          return HttpResponse.json(
            {
              error: 'invalid_request',
              message: 'password is a commonly used password',
              details: [{ field: 'password', problem: 'is a commonly used password' }],
            },
            { status: 400 },
          )
        }
        state.passwords.set(auth.user, body.newPassword)
        // Every other session of the user ends; the caller's stays.
        const current = access.get(auth.token ?? '')?.sid
        for (const [token, owner] of refresh) {
          if (owner === auth.user && sessions.get(token) !== current) refresh.delete(token)
        }
        return new HttpResponse(null, { status: 204 })
      })()
      state.passwordChanges.push({ token: auth.token, body, status: answer.status })
      return answer
    }),
    http.post(`${API}/auth/register`, async ({ request }) => {
      const body = (await request.json()) as { username: string }
      return HttpResponse.json(
        { user: { id: `u-${body.username}`, username: body.username } },
        { status: 201 },
      )
    }),
    http.post(`${API}/auth/refresh`, async ({ request }) => {
      state.refreshCalls += 1
      const call = state.refreshCalls
      const body = (await request.json()) as { refreshToken: string }
      state.presentedRefreshTokens.push(body.refreshToken)
      if (state.refreshGate !== null) await state.refreshGate.promise
      const reply = await state.refreshReply?.(call)
      if (reply !== undefined) return reply
      const user = refresh.get(body.refreshToken)
      if (user === undefined) return error(401, 'invalid_refresh_token')
      refresh.delete(body.refreshToken)
      return HttpResponse.json(issue(user, sessions.get(body.refreshToken)))
    }),
    http.post(`${API}/auth/logout`, async ({ request }) => {
      const body = (await request.json()) as { refreshToken: string }
      state.logouts.push(body.refreshToken)
      refresh.delete(body.refreshToken)
      return new HttpResponse(null, { status: 204 })
    }),
    http.get(`${API}/auth/sessions`, ({ request }) => {
      const auth = check(request)
      if (auth.status !== 200) return error(401, 'token_expired')
      const current = access.get(auth.token ?? '')?.sid
      const mine = [
        ...new Set([...refresh].filter(([, u]) => u === auth.user).map(([t]) => sessions.get(t))),
      ]
      return HttpResponse.json({
        sessions: mine.map((id) => ({
          id,
          createdAt: new Date(state.now).toISOString(),
          lastUsedAt: new Date(state.now).toISOString(),
          userAgent: null,
          current: id === current,
        })),
      })
    }),
    http.delete(`${API}/auth/sessions/:id`, ({ request, params }) => {
      if (check(request).status !== 200) return error(401, 'token_expired')
      state.revokedSessions.push(String(params.id))
      for (const [token, sid] of sessions) if (sid === params.id) refresh.delete(token)
      return new HttpResponse(null, { status: 204 })
    }),
    http.post(`${API}/auth/logout-all`, ({ request }) => {
      const auth = check(request)
      if (auth.status !== 200) return error(401, 'token_expired')
      if (state.failLogoutAll) return error(503, 'service_unavailable')
      state.logoutAll.push(auth.user ?? '')
      for (const [token, owner] of refresh) if (owner === auth.user) refresh.delete(token)
      return new HttpResponse(null, { status: 204 })
    }),
    http.all(`${API}/api/:name`, async ({ request, params }) => {
      if (params.name === 'slow') {
        state.slowArrived += 1
        if (state.slowGate !== null) await state.slowGate.promise
      }
      const auth = check(request)
      const status = params.name === 'always-expired' ? 401 : auth.status
      state.api.push({ method: request.method, url: request.url, token: auth.token, status })
      if (status !== 200) {
        return auth.token === undefined && params.name !== 'always-expired'
          ? error(401, 'missing_token')
          : error(
              401,
              access.has(auth.token ?? '') || params.name === 'always-expired'
                ? 'token_expired'
                : 'invalid_token',
            )
      }
      const url = new URL(request.url)
      const text = request.method === 'GET' ? '' : await request.text()
      return HttpResponse.json({
        user: auth.user,
        method: request.method,
        query: Object.fromEntries(url.searchParams),
        body: text === '' ? null : JSON.parse(text),
        custom: request.headers.get('x-custom'),
        contentType: request.headers.get('content-type'),
      })
    }),
    http.all(`${OTHER}/*`, ({ request }) => {
      state.other.push({ authorization: request.headers.get('authorization') })
      return HttpResponse.json({ ok: true })
    }),
  ]

  return {
    state,
    handlers,
    issue,
    /** Makes every access token issued so far expired on the server, whatever the clocks say. */
    expireAccessTokens() {
      for (const entry of access.values()) entry.revoked = true
    },
    /** Revokes every refresh token of a user (logout-all). */
    revokeRefreshTokens(user: string) {
      for (const [token, owner] of refresh) if (owner === user) refresh.delete(token)
    },
    /** The session id of an access token this server issued. */
    sessionOf(token: string): string {
      return access.get(token)?.sid ?? ''
    },
    /** Requests to `/api/*` that carried this access token. */
    sentWith(token: string | undefined) {
      return state.api.filter((request) => request.token === token).length
    },
  }
}

export type FakeTokenServer = ReturnType<typeof createFakeTokenServer>
