import type {
  AccountMethods,
  AuthError,
  ChangePasswordRequest,
  StoredTokens,
} from '@refresh-kit/client-sdk/fetch'

/** Where the session stands, as a UI shows it. */
export type SessionStatus = 'loading' | 'signed-in' | 'signed-out' | 'expired'

/** The signed-in user, read from the access token's claims (`sub`, `username`). */
export interface SessionUser {
  id: string
  username: string
}

/** The session state the hooks return. Replaced as a whole on every change, never mutated. */
export interface SessionState {
  /**
   * `loading` until storage was read (and always during server rendering), then `signed-in`,
   * `signed-out`, or `expired` when the server ended the session (the refresh token was refused).
   */
  status: SessionStatus
  /** The user while signed in; `null` otherwise. */
  user: SessionUser | null
  /** Every claim of the current access token (decoded, not verified); `null` when signed out. */
  claims: Readonly<Record<string, unknown>> | null
  /** Whether the access token is being renewed right now; `status` stays `signed-in` meanwhile. */
  expiring: boolean
  /** When the access token expires, in ms on the local clock; `null` when signed out. */
  expiresAt: number | null
  /**
   * Why the session expired, when `status` is `expired`; or, with `signed-out`, why the
   * session could not be restored after a page load when that is something to fix rather
   * than no session: `csrf_rejected` (the token server refused this page's origin for the
   * refresh cookie; its message says to add the origin to `CORS_ORIGINS` or to have the dev
   * proxy keep the `Host` header). `null` otherwise.
   */
  error: AuthError | null
}

/** Any client of the SDK: `createAuthClient` (axios) and `createAuthFetch` both fit. */
export interface AnyAuthClient
  extends Pick<
    AccountMethods,
    'login' | 'logout' | 'logoutAll' | 'getAccessToken' | 'isAuthenticated' | 'on' | 'manager'
  > {
  /**
   * Picks up the session after a page load (a client whose refresh token is in an `HttpOnly`
   * cookie asks the server once). Used, when the client has it, for the first read.
   */
  restore?(): Promise<StoredTokens | null>
  /**
   * Changes the user's password (`POST /auth/password`); what `useAuthActions().changePassword`
   * calls. Both clients of `@refresh-kit/client-sdk` have it from the release that added it.
   */
  changePassword?(passwords: ChangePasswordRequest): Promise<void>
}

const signedOut = (status: SessionStatus, error: AuthError | null = null): SessionState => ({
  status,
  user: null,
  claims: null,
  expiring: false,
  expiresAt: null,
  error,
})

/** The state every server render and every first client render shows. */
export const LOADING: SessionState = signedOut('loading')

function decodeClaims(token: string): Record<string, unknown> | null {
  try {
    const part = (token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')
    const json = decodeURIComponent(
      Array.from(atob(part), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''),
    )
    const claims = JSON.parse(json) as unknown
    return typeof claims === 'object' && claims !== null
      ? (claims as Record<string, unknown>)
      : null
  } catch {
    return null
  }
}

function fromTokens(tokens: StoredTokens | null, now: number): SessionState {
  if (tokens === null || !(tokens.refreshExpiresAt > now)) return signedOut('signed-out')
  const claims = decodeClaims(tokens.accessToken)
  const id = claims?.sub
  const username = claims?.username
  return {
    status: 'signed-in',
    user:
      typeof id === 'string'
        ? { id, username: typeof username === 'string' ? username : id }
        : null,
    claims,
    expiring: false,
    expiresAt: tokens.expiresAt,
    error: null,
  }
}

/** A subscribable session state over one client, for `useSyncExternalStore`. */
export interface SessionStore {
  subscribe(listener: () => void): () => void
  getSnapshot(): SessionState
}

/**
 * Follows a client's events. Listens only while someone subscribes; reads storage on the
 * first subscription, never at creation, so nothing runs during server rendering.
 */
export function createSessionStore(client: AnyAuthClient, now = Date.now): SessionStore {
  let state = LOADING
  const listeners = new Set<() => void>()
  let detach: (() => void) | null = null
  // Events seen since the last storage read began: a later event wins over that read.
  let version = 0

  const set = (next: SessionState) => {
    state = next
    for (const listener of listeners) listener()
  }

  const attach = () => {
    let cleared = false
    const offs = [
      client.on('tokens', (tokens) => {
        version += 1
        if (tokens !== null) return set(fromTokens(tokens, now()))
        // A session expiry announces the cleared tokens first, then itself, in one go: wait
        // for the end of the tick, so the hook goes from signed-in to expired once, with no
        // signed-out in between.
        cleared = true
        queueMicrotask(() => {
          if (cleared && state.status !== 'expired') set(signedOut('signed-out'))
          cleared = false
        })
      }),
      client.on('sessionExpired', (error) => {
        version += 1
        cleared = false
        set(signedOut('expired', error))
      }),
      client.on('refresh', (event) => {
        if (event.phase === 'start' && state.status === 'signed-in') {
          set({ ...state, expiring: true })
        }
      }),
      client.on('refreshFailed', () => {
        if (state.expiring) set({ ...state, expiring: false })
      }),
    ]
    const read = version
    // Why restore() failed, when it was refused for a reason to fix (`csrf_rejected`): shown
    // with the signed-out state rather than passed off as a session that was never there.
    let refused: AuthError | null = null
    // restore() where the client has one: after a reload, a cookie-held session is only known
    // to the server; otherwise (or when it cannot reach the server) what storage holds.
    const first = client.restore?.().catch((error: AuthError) => {
      if (error?.retryable === false) refused = error
      return client.manager.getTokens()
    })
    ;(first ?? client.manager.getTokens()).then(
      (tokens) => {
        if (version !== read) return
        const next = fromTokens(tokens, now())
        set(
          next.status === 'signed-out' && refused !== null
            ? signedOut('signed-out', refused)
            : next,
        )
      },
      () => {
        if (version === read) set(signedOut('signed-out'))
      },
    )
    return () => {
      for (const off of offs) off()
    }
  }

  return {
    subscribe(listener) {
      listeners.add(listener)
      detach ??= attach()
      return () => {
        listeners.delete(listener)
        if (listeners.size === 0) {
          detach?.()
          detach = null
        }
      }
    },
    getSnapshot: () => state,
  }
}
