import type {
  AuthError,
  ChangePasswordRequest,
  Credentials,
  StoredTokens,
} from '@refresh-kit/client-sdk/fetch'
import {
  createContext,
  createElement,
  type ReactElement,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  useSyncExternalStore,
} from 'react'
import {
  type AnyAuthClient,
  createSessionStore,
  LOADING,
  type SessionState,
  type SessionStore,
} from './store.js'

interface AuthContextValue {
  client: AnyAuthClient
  store: SessionStore
}

const AuthContext = createContext<AuthContextValue | null>(null)

/** Props of {@link AuthProvider}. */
export interface AuthProviderProps {
  /** A client of the SDK: `createAuthClient(...)` (axios) or `createAuthFetch(...)`. Create it once, outside render. */
  client: AnyAuthClient
  children?: ReactNode
}

/**
 * Makes a client of the SDK available to the hooks below it. Safe under server rendering:
 * nothing touches `window` or storage until the page hydrates, and the session reads
 * `loading` until then.
 *
 * @example
 * ```tsx
 * const auth = createAuthFetch({ baseURL: '/api', storage: localStorageStorage() })
 * createRoot(root).render(<AuthProvider client={auth}><App /></AuthProvider>)
 * ```
 */
export function AuthProvider({ client, children }: AuthProviderProps): ReactElement {
  const value = useMemo(() => ({ client, store: createSessionStore(client) }), [client])
  return createElement(AuthContext.Provider, { value }, children)
}

function useAuthContext(hook: string): AuthContextValue {
  const value = useContext(AuthContext)
  if (value === null) throw new Error(`${hook} must be used inside <AuthProvider>`)
  return value
}

const serverSnapshot = () => LOADING

/**
 * The session state: `status` (`loading`, `signed-in`, `signed-out`, `expired`), `user`,
 * `claims`, `expiring` (a refresh under way; the status stays `signed-in`) and `expiresAt`.
 *
 * @example
 * ```tsx
 * const { status, user } = useSession()
 * if (status === 'expired') return <SignIn reason="Your session ended" />
 * ```
 */
export function useSession(): SessionState {
  const { store } = useAuthContext('useSession')
  return useSyncExternalStore(store.subscribe, store.getSnapshot, serverSnapshot)
}

/**
 * The client given to the nearest {@link AuthProvider}, for calls the hooks do not cover.
 *
 * @example
 * ```tsx
 * const client = useAuthClient()
 * const tokens = await client.manager.getTokens()
 * ```
 */
export function useAuthClient(): AnyAuthClient {
  return useAuthContext('useAuthClient').client
}

/** What {@link useAuthActions} returns. */
export interface AuthActions {
  /** Signs in; resolves with the tokens, rejects with an `AuthError` (also kept in `error`). */
  login(credentials: Credentials): Promise<StoredTokens>
  /** Signs out here (and revokes the session on the server, best effort). */
  logout(): Promise<void>
  /** Ends every session of the user, then signs out here. */
  logoutAll(): Promise<void>
  /**
   * Changes the password; every other session of the user ends, this one stays. Rejects with
   * an `AuthError` (also kept in `error`): `invalid_credentials` for a wrong current password,
   * `invalid_request` with `details` for a refused new one. It holds neither password.
   */
  changePassword(passwords: ChangePasswordRequest): Promise<void>
  /** Whether one of the calls above is under way. */
  pending: boolean
  /** The error of the last call that failed, cleared when the next one starts. */
  error: AuthError | null
}

/**
 * Login, logout and password change for a form or a button, with their pending and error state.
 *
 * @example
 * ```tsx
 * const { login, pending, error } = useAuthActions()
 * <form onSubmit={(e) => { e.preventDefault(); login({ username, password }).catch(() => {}) }}>
 * ```
 */
export function useAuthActions(): AuthActions {
  const { client } = useAuthContext('useAuthActions')
  const [pending, setPending] = useState(0)
  const [error, setError] = useState<AuthError | null>(null)
  const track = useCallback(<T>(run: () => Promise<T>): Promise<T> => {
    setPending((n) => n + 1)
    setError(null)
    return run()
      .catch((failure: unknown) => {
        setError(failure as AuthError)
        throw failure
      })
      .finally(() => setPending((n) => n - 1))
  }, [])
  return {
    login: useCallback((credentials) => track(() => client.login(credentials)), [client, track]),
    logout: useCallback(() => track(() => client.logout()), [client, track]),
    logoutAll: useCallback(() => track(() => client.logoutAll()), [client, track]),
    changePassword: useCallback(
      (passwords) =>
        track(async () => {
          // A client from a release of the SDK before changePassword.
          if (client.changePassword === undefined) {
            throw new TypeError('changePassword needs a newer @refresh-kit/client-sdk')
          }
          await client.changePassword(passwords)
        }),
      [client, track],
    ),
    pending: pending > 0,
    error,
  }
}

/**
 * A valid access token for code that cannot go through the client (a WebSocket, an SSE URL, a
 * third-party SDK): `null` while loading or signed out. It follows refreshes, and asks the
 * client for it, so a token inside the leeway is refreshed first.
 *
 * @example
 * ```tsx
 * const token = useAccessToken()
 * useEffect(() => { if (token) socket.connect({ token }) }, [token])
 * ```
 */
export function useAccessToken(): string | null {
  const { client } = useAuthContext('useAccessToken')
  const { status, expiresAt } = useSession()
  const [token, setToken] = useState<string | null>(null)
  useEffect(() => {
    // expiresAt changes with every new token: the hook asks again then.
    if (status !== 'signed-in' || expiresAt === null) {
      setToken(null)
      return
    }
    let live = true
    client.getAccessToken().then(
      (next) => {
        if (live) setToken(next)
      },
      () => {},
    )
    return () => {
      live = false
    }
  }, [client, status, expiresAt])
  return token
}
