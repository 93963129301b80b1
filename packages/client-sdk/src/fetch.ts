export type {
  AuthErrorCode,
  ChangePasswordRequest,
  Credentials,
  ErrorDetail,
  PublicUser,
  SessionInfo,
  TokenResponse,
} from '@refresh-kit/shared'
export type { AuthErrorCodeLike, AuthErrorOptions } from './errors.js'
export { AuthError, isAuthError } from './errors.js'
export type { AuthFetch, AuthFetchInit, AuthFetchOptions } from './fetch/client.js'
export { createAuthFetch } from './fetch/client.js'
export type { AccountMethods } from './lib/account.js'
export type { AuthPaths } from './lib/endpoints.js'
export type { RefreshOptions, TokenManager, TokenManagerOptions } from './manager/token-manager.js'
export { createTokenManager } from './manager/token-manager.js'
export type { LocalStorageOptions } from './storage/local-storage.js'
export { localStorageStorage } from './storage/local-storage.js'
export { memoryStorage } from './storage/memory.js'
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
