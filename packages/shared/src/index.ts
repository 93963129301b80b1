export type { AuthErrorCode, ClientErrorCode, ServerErrorCode } from './errors.js'
export {
  CLIENT_ERRORS,
  isServerErrorCode,
  SERVER_ERROR_CODES,
  SERVER_ERRORS,
  statusOf,
} from './errors.js'
export type { JwtPayload } from './jwt.js'
export { decodeJwtPayload } from './jwt.js'
export type { RotationBounds, RotationBoundsReport } from './protocol.js'
export {
  checkRotationBounds,
  DEFAULT_LEEWAY_SECONDS,
  DEFAULT_LOCK_ACQUIRE_TIMEOUT_MS,
  DEFAULT_LOCK_HOLD_TIMEOUT_MS,
  DEFAULT_REFRESH_BACKOFF_INITIAL_MS,
  DEFAULT_REFRESH_REUSE_GRACE_SECONDS,
  DEFAULT_REFRESH_TIMEOUT_MS,
} from './protocol.js'
export type { RoutePath } from './routes.js'
export { ROUTES, sessionPath } from './routes.js'
export type { RefreshTokenTransport, ServerRefreshTokenTransport } from './transport.js'
export { DEVICE_COOKIE_NAME, REFRESH_TOKEN_TRANSPORT_HEADER } from './transport.js'
export type {
  AccessTokenClaims,
  ChangePasswordRequest,
  CookieTokenResponse,
  Credentials,
  ErrorBody,
  ErrorDetail,
  HealthResponse,
  JwksResponse,
  LoginRequest,
  LogoutRequest,
  MeResponse,
  PublicJwk,
  PublicUser,
  RefreshRequest,
  RegisterRequest,
  RegisterResponse,
  SessionInfo,
  SessionListResponse,
  TokenResponse,
} from './types.js'
export { ACCESS_TOKEN_TYPE, FIELD_BOUNDS, MAX_BODY_BYTES } from './types.js'
