// A cookie-mode refresh that the server refuses with `403 csrf_rejected` (the page's origin is
// not allowed, or a dev proxy rewrote Host) is a configuration to fix, not an ended session:
// each binding reports it as that error, through the rejection and the `refreshFailed` event.
import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type AuthError, isAuthError } from '../src/errors.js'
import { memoryStorage } from '../src/storage/memory.js'
import { BINDINGS } from './support/bindings.js'

const API = 'https://api.test'
const msw = setupServer()
beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }))
afterEach(() => msw.resetHandlers())
afterAll(() => msw.close())

const ada = { username: 'ada', password: 'correct horse battery' }

/** The reference server's cookie transport, with a switch for refusing the page's origin. */
function cookieServer() {
  const state = { signedIn: false, refuseOrigin: true, refreshes: 0, issued: 0 }
  const tokens = () => {
    state.issued += 1
    return HttpResponse.json(
      {
        accessToken: `at-${state.issued}`,
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshExpiresIn: 3600,
      },
      {
        headers: { 'Set-Cookie': `rk_refresh=rk1.s${state.issued}; HttpOnly; Secure; Path=/auth` },
      },
    )
  }
  msw.use(
    http.post(`${API}/auth/login`, () => {
      state.signedIn = true
      return tokens()
    }),
    http.post(`${API}/auth/refresh`, () => {
      state.refreshes += 1
      if (state.refuseOrigin) {
        return HttpResponse.json(
          { error: 'csrf_rejected', message: 'this origin may not use the refresh cookie' },
          { status: 403 },
        )
      }
      return state.signedIn
        ? tokens()
        : HttpResponse.json({ error: 'invalid_refresh_token', message: 'no' }, { status: 401 })
    }),
    http.get(`${API}/auth/me`, ({ request }) =>
      request.headers.get('authorization')?.startsWith('Bearer at-')
        ? HttpResponse.json({ id: 'u1', username: 'ada', sessionId: 's1' })
        : HttpResponse.json({ error: 'missing_token', message: 'no' }, { status: 401 }),
    ),
  )
  return state
}

let server: ReturnType<typeof cookieServer>
beforeEach(() => {
  server = cookieServer()
})

const expectCsrfRejected = (error: unknown) => {
  expect(isAuthError(error)).toBe(true)
  expect(error).toMatchObject({ code: 'csrf_rejected', status: 403, retryable: false })
  expect((error as AuthError).message).toMatch(/CORS_ORIGINS/)
  expect((error as AuthError).message).toMatch(/Host header/)
}

describe.each(BINDINGS)(
  'the $name binding, a refresh refused with 403 csrf_rejected',
  (binding) => {
    function client() {
      const storage = memoryStorage()
      const bound = binding.create({
        baseURL: API,
        storage,
        refreshTokenTransport: 'cookie',
        refreshOnWake: false,
        backoff: { initialMs: 0, maxMs: 0 },
      })
      const seen = { refreshFailed: [] as AuthError[], sessionExpired: 0, logout: 0 }
      bound.auth.on('refreshFailed', (error) => {
        seen.refreshFailed.push(error)
      })
      bound.auth.on('sessionExpired', () => {
        seen.sessionExpired += 1
      })
      bound.auth.on('logout', () => {
        seen.logout += 1
      })
      return { ...bound, storage, seen }
    }

    it('restore() rejects with csrf_rejected naming CORS_ORIGINS and the proxy Host, and emits it, instead of resolving signed out', async () => {
      server.signedIn = true
      const { auth, seen } = client()
      const error = await auth.restore().then(
        (session) => session,
        (thrown: unknown) => thrown,
      )
      expectCsrfRejected(error)
      expect(seen.refreshFailed).toEqual([error])
      expect(seen.sessionExpired).toBe(0)
      // A request that needs the session is refused with the same explanation, not sent anonymous.
      expectCsrfRejected(await auth.getAccessToken().catch((thrown: unknown) => thrown))
      expect(await auth.isAuthenticated()).toBe(false)
    })

    it('keeps the stored tokens on csrf_rejected, so the session goes on once the origin is allowed', async () => {
      const { auth, storage, seen, get } = client()
      await auth.login(ada)
      const before = await storage.get()
      const error = await auth.manager.refresh().catch((thrown: unknown) => thrown)
      expectCsrfRejected(error)
      expect(seen.refreshFailed).toEqual([error])
      expect(seen).toMatchObject({ sessionExpired: 0, logout: 0 })
      expect(await storage.get()).toEqual(before)
      expect((await get('/auth/me')).status).toBe(200)

      // The server is told the origin: the same cookie refreshes, nobody signed in again.
      server.refuseOrigin = false
      expect((await auth.manager.refresh()).accessToken).toBe('at-2')
      expect(seen.sessionExpired).toBe(0)
    })

    it('still signs out on a refused refresh token: only csrf_rejected keeps the session', async () => {
      const { auth, storage, seen } = client()
      await auth.login(ada)
      server.refuseOrigin = false
      server.signedIn = false
      const error = await auth.manager.refresh().catch((thrown: unknown) => thrown)
      expect(isAuthError(error) && error.code).toBe('session_expired')
      expect(seen.sessionExpired).toBe(1)
      expect(await storage.get()).toBeNull()
    })
  },
)
