export type {
  AuthErrorCode,
  ChangePasswordRequest,
  CookieTokenResponse,
  Credentials,
  ErrorDetail,
  PublicUser,
  RefreshTokenTransport,
  SessionInfo,
  TokenResponse,
} from '@refresh-kit/shared'
export { REFRESH_TOKEN_TRANSPORT_HEADER } from '@refresh-kit/shared'
export type { AttachOptions, TokenRefreshHandle } from './axios/attach.js'
export { attachTokenRefresh } from './axios/attach.js'
export type { AuthClient, AuthClientOptions } from './axios/client.js'
export { createAuthClient } from './axios/client.js'
export type { AuthErrorCodeLike, AuthErrorOptions } from './errors.js'
export { AuthError, isAuthError } from './errors.js'
export type { AccountMethods } from './lib/account.js'
export type { AuthPaths } from './lib/endpoints.js'
export type { RefreshOptions, TokenManager, TokenManagerOptions } from './manager/token-manager.js'
export { createTokenManager } from './manager/token-manager.js'
export type { LocalStorageOptions } from './storage/local-storage.js'
export { localStorageStorage } from './storage/local-storage.js'
export { memoryStorage } from './storage/memory.js'
export type { TokenEndpoint, TokenRequest } from './transport.js'
export { tokenRequest } from './transport.js'
export type {
  AuthEvents,
  CoordinatorMessage,
  RefreshCoordinator,
  RefreshFunction,
  RefreshResult,
  RefreshTrigger,
  StoredTokens,
  TokenStorage,
} from './types.js'
