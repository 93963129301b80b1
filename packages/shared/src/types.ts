import type { ServerErrorCode } from './errors.js'

/** Body of `POST /auth/register` and `POST /auth/login`. */
export interface Credentials {
  /** 3 to 64 characters of `A-Z a-z 0-9 . _ @ -`. */
  username: string
  /**
   * 1 to 1024 characters. A new password (register, change) must also have at least the
   * server's `PASSWORD_MIN_LENGTH` (default 15); a login never checks that.
   */
  password: string
}

/** Body of `POST /auth/register`. */
export type RegisterRequest = Credentials

/** Body of `POST /auth/login`. */
export interface LoginRequest extends Credentials {
  /**
   * The `deviceToken` of this client's last successful login of this user (body transport;
   * browsers send the `rk_device` cookie instead): a known device is not limited with
   * strangers. At most 512 characters.
   */
  deviceToken?: string
}

/** Body of `POST /auth/password`: ends every other session of the user. */
export interface ChangePasswordRequest {
  /** The password in use now; a wrong one counts as a failed login. */
  currentPassword: string
  /**
   * At least `PASSWORD_MIN_LENGTH` (default 15) and at most 1024 characters, not among the
   * common or guessable passwords.
   */
  newPassword: string
}

/** A user as the API shows it. */
export interface PublicUser {
  id: string
  username: string
}

/** `201` answer of `POST /auth/register`. */
export interface RegisterResponse {
  user: PublicUser
}

/** Body of `POST /auth/refresh`. */
export interface RefreshRequest {
  /** At most 512 characters. */
  refreshToken: string
}

/** Body of `POST /auth/logout`. */
export type LogoutRequest = RefreshRequest

/**
 * `200` answer of login and refresh when the refresh token travels in the `HttpOnly` cookie
 * (`X-Refresh-Token-Transport: cookie`): the body never carries it.
 */
export type CookieTokenResponse = Omit<TokenResponse, 'refreshToken' | 'deviceToken'>

/** `200` answer of login and refresh (RFC 6749 §5.1 in camelCase). */
export interface TokenResponse {
  /** A JWT. */
  accessToken: string
  /** Opaque, at least 256 bits of entropy, base64url. */
  refreshToken: string
  tokenType: 'Bearer'
  /** Seconds until the access token expires. */
  expiresIn: number
  /** Seconds until this refresh token expires if unused. */
  refreshExpiresIn: number
  /**
   * Login only, body transport: this device's proof of a successful login of this user, to
   * send back as `deviceToken` at the next login (the cookie transport sets the `HttpOnly`
   * cookie `rk_device` instead). Opaque.
   */
  deviceToken?: string
}

/** `200` answer of `GET /auth/me`. */
export interface MeResponse {
  id: string
  username: string
  sessionId: string
}

/** One session (token family) of the signed-in user. */
export interface SessionInfo {
  id: string
  /** ISO 8601. */
  createdAt: string
  /** ISO 8601. */
  lastUsedAt: string
  userAgent: string | null
  /** Whether this is the session of the access token that asked. */
  current: boolean
}

/** `200` answer of `GET /auth/sessions`. */
export interface SessionListResponse {
  sessions: SessionInfo[]
}

/** One problem with one field of a request body. */
export interface ErrorDetail {
  field: string
  problem: string
}

/** The body of every error answer. */
export interface ErrorBody {
  error: ServerErrorCode
  /** For humans; never a stack trace or a store message. */
  message: string
  details?: ErrorDetail[]
}

/** Answer of `/healthz` and `/readyz`. */
export interface HealthResponse {
  status: 'ok'
}

/** A public key as `GET /.well-known/jwks.json` publishes it (RFC 7517). */
export interface PublicJwk {
  kty: 'EC' | 'OKP' | 'RSA'
  kid: string
  alg: string
  use: 'sig'
  crv?: string
  x?: string
  y?: string
  n?: string
  e?: string
}

/** Answer of `GET /.well-known/jwks.json`. */
export interface JwksResponse {
  keys: PublicJwk[]
}

/**
 * The claims of an access token (RFC 9068), and any the server's `accessTokenClaims` adds
 * (e.g. `scope`, `roles`).
 */
export interface AccessTokenClaims {
  [claim: string]: unknown
  iss: string
  aud: string | string[]
  /** User id. */
  sub: string
  /** Session id. */
  sid: string
  jti: string
  iat: number
  exp: number
  nbf?: number
  username: string
}

/** The `typ` header of every access token (RFC 9068). */
export const ACCESS_TOKEN_TYPE = 'at+jwt'

/** Largest accepted request body, in bytes; larger is `413 payload_too_large`. */
export const MAX_BODY_BYTES = 16 * 1024

/**
 * Bounds of every request field; anything outside is `400 invalid_request`.
 *
 * @example
 * ```ts
 * FIELD_BOUNDS.username.pattern.test('ada') // true
 * ```
 */
export const FIELD_BOUNDS = {
  username: { min: 3, max: 64, pattern: /^[A-Za-z0-9._@-]+$/ },
  password: { min: 1, max: 1024 },
  deviceToken: { max: 512 },
  refreshToken: { max: 512 },
} as const
