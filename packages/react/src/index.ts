export type { AuthActions, AuthProviderProps } from './provider.js'
export {
  AuthProvider,
  useAccessToken,
  useAuthActions,
  useAuthClient,
  useSession,
} from './provider.js'
export type { AnyAuthClient, SessionState, SessionStatus, SessionUser } from './store.js'
