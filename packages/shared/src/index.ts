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
export type { RoutePath } from './routes.js'
export { ROUTES, sessionPath } from './routes.js'
export type {
  AccessTokenClaims,
  ChangePasswordRequest,
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
