import { z } from 'zod'
import { SERVER_ERROR_CODES, type ServerErrorCode } from '../errors.js'
import type {
  ChangePasswordRequest,
  CookieTokenResponse,
  Credentials,
  ErrorBody,
  HealthResponse,
  JwksResponse,
  LoginRequest,
  MeResponse,
  PublicUser,
  RefreshRequest,
  RegisterResponse,
  SessionListResponse,
  TokenResponse,
} from '../types.js'
import { FIELD_BOUNDS } from '../types.js'

/**
 * The schemas of the wire, by their OpenAPI component name. The server validates requests
 * with them and the OpenAPI document is generated from them, so the two cannot disagree.
 */
export const schemaRegistry = z.registry<{ id: string; description?: string }>()

const {
  username: nameBounds,
  password: passwordBounds,
  refreshToken: refreshBounds,
  deviceToken: deviceBounds,
} = FIELD_BOUNDS

/** `username`: 3 to 64 characters of `A-Z a-z 0-9 . _ @ -`. */
export const usernameSchema = z
  .string({ error: 'must be a string' })
  .min(nameBounds.min, `must be ${nameBounds.min} to ${nameBounds.max} characters`)
  .max(nameBounds.max, `must be ${nameBounds.min} to ${nameBounds.max} characters`)
  .regex(nameBounds.pattern, 'may only contain A-Z a-z 0-9 . _ @ -')

const LONE_SURROGATE = /\p{Surrogate}/u

/**
 * `password`: 1 to 1024 characters of well-formed Unicode. New passwords are held to the
 * server's `PASSWORD_MIN_LENGTH` as well, by the server's policy (a setting, not the wire).
 */
export const passwordSchema = z
  .string({ error: 'must be a string' })
  .min(passwordBounds.min, `must be ${passwordBounds.min} to ${passwordBounds.max} characters`)
  .max(passwordBounds.max, `must be ${passwordBounds.min} to ${passwordBounds.max} characters`)
  // A lone surrogate cannot be encoded: it would hash as U+FFFD and match another password.
  .refine((value) => !LONE_SURROGATE.test(value), {
    error: 'must be well-formed Unicode (no lone surrogates)',
    abort: true,
  })

/** Body of `POST /auth/register` and `POST /auth/login`. */
export const credentialsSchema = z
  .object({ username: usernameSchema, password: passwordSchema })
  .register(schemaRegistry, { id: 'Credentials', description: 'A username and a password.' })

/** Body of `POST /auth/login`. */
export const loginRequestSchema = z
  .object({
    username: usernameSchema,
    password: passwordSchema,
    deviceToken: z
      .string({ error: 'must be a string' })
      .max(deviceBounds.max, `must be at most ${deviceBounds.max} characters`)
      .optional()
      .describe(
        "The `deviceToken` of this client's last login of this user: a known device is not limited with strangers.",
      ),
  })
  .register(schemaRegistry, {
    id: 'LoginRequest',
    description: 'A username and a password, and the device token of an earlier login.',
  })

/** Body of `POST /auth/password`. */
export const changePasswordRequestSchema = z
  .object({ currentPassword: passwordSchema, newPassword: passwordSchema })
  .register(schemaRegistry, {
    id: 'ChangePasswordRequest',
    description: 'The password in use now and the new one.',
  })

/** Body of `POST /auth/refresh` and `POST /auth/logout`. */
export const refreshRequestSchema = z
  .object({
    refreshToken: z
      .string({ error: 'must be a non-empty string' })
      .min(1, 'must be a non-empty string')
      .max(refreshBounds.max, `must be at most ${refreshBounds.max} characters`),
  })
  .register(schemaRegistry, { id: 'RefreshRequest', description: 'A refresh token.' })

/** A user as the API shows it. */
export const publicUserSchema = z
  .object({ id: z.string(), username: z.string() })
  .register(schemaRegistry, { id: 'PublicUser' })

/** `201` answer of `POST /auth/register`. */
export const registerResponseSchema = z
  .object({ user: publicUserSchema })
  .register(schemaRegistry, { id: 'RegisterResponse' })

/** `200` answer of login and refresh. */
export const tokenResponseSchema = z
  .object({
    accessToken: z.string().describe('A JWT (RFC 9068), `typ: at+jwt`.'),
    refreshToken: z.string().describe('Opaque, at least 256 bits of entropy, base64url.'),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().nonnegative().describe('Seconds until the access token expires.'),
    refreshExpiresIn: z
      .number()
      .int()
      .nonnegative()
      .describe('Seconds until this refresh token expires if unused.'),
    deviceToken: z
      .string()
      .optional()
      .describe(
        'Login only, body transport: send it back as `deviceToken` at the next login (the cookie transport sets `rk_device`).',
      ),
  })
  .register(schemaRegistry, { id: 'TokenResponse' })

/** `200` answer of login and refresh in the cookie transport: the refresh token is in `Set-Cookie`. */
export const cookieTokenResponseSchema = tokenResponseSchema
  .omit({ refreshToken: true, deviceToken: true })
  .register(schemaRegistry, {
    id: 'CookieTokenResponse',
    description: 'A token answer whose refresh token is in the `HttpOnly` cookie, not the body.',
  })

/** `200` answer of `GET /auth/me`. */
export const meResponseSchema = z
  .object({ id: z.string(), username: z.string(), sessionId: z.string() })
  .register(schemaRegistry, { id: 'MeResponse' })

/** One session of the signed-in user. */
export const sessionInfoSchema = z
  .object({
    id: z.string(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime(),
    userAgent: z.string().nullable(),
    current: z.boolean().describe('Whether this is the session of the access token that asked.'),
  })
  .register(schemaRegistry, { id: 'SessionInfo' })

/** `200` answer of `GET /auth/sessions`. */
export const sessionListResponseSchema = z
  .object({ sessions: z.array(sessionInfoSchema) })
  .register(schemaRegistry, { id: 'SessionListResponse' })

/** One problem with one field of a request body. */
export const errorDetailSchema = z
  .object({ field: z.string(), problem: z.string() })
  .register(schemaRegistry, { id: 'ErrorDetail' })

/** The body of every error answer. */
export const errorBodySchema = z
  .object({
    error: z.enum(SERVER_ERROR_CODES as [ServerErrorCode, ...ServerErrorCode[]]),
    message: z.string().describe('For humans; never a stack trace or a store message.'),
    details: z.array(errorDetailSchema).optional(),
  })
  .register(schemaRegistry, { id: 'ErrorBody' })

/** Answer of `/healthz` and `/readyz`. */
export const healthResponseSchema = z
  .object({ status: z.literal('ok') })
  .register(schemaRegistry, { id: 'HealthResponse' })

/** A public key of `GET /.well-known/jwks.json` (RFC 7517). */
export const publicJwkSchema = z
  .object({
    kty: z.enum(['EC', 'OKP', 'RSA']),
    kid: z.string(),
    alg: z.string(),
    use: z.literal('sig'),
    crv: z.string().optional(),
    x: z.string().optional(),
    y: z.string().optional(),
    n: z.string().optional(),
    e: z.string().optional(),
  })
  .register(schemaRegistry, { id: 'PublicJwk' })

/** Answer of `GET /.well-known/jwks.json`. */
export const jwksResponseSchema = z
  .object({ keys: z.array(publicJwkSchema) })
  .register(schemaRegistry, { id: 'JwksResponse' })

// The wire types are written out in types.ts (the SDK imports those, not zod); these checks
// fail to compile the moment a schema and its type disagree.
// zod types an optional field `?: T | undefined`; the wire types omit the undefined.
type Defined<T> = T extends (infer U)[]
  ? Defined<U>[]
  : T extends object
    ? { [K in keyof T]: Defined<Exclude<T[K], undefined>> }
    : T
type Same<A, B> = [Defined<A>] extends [B] ? ([B] extends [Defined<A>] ? true : false) : false
type Holds<T extends true> = T
export type SchemasMatchTypes = [
  Holds<Same<z.infer<typeof credentialsSchema>, Credentials>>,
  Holds<Same<z.infer<typeof loginRequestSchema>, LoginRequest>>,
  Holds<Same<z.infer<typeof changePasswordRequestSchema>, ChangePasswordRequest>>,
  Holds<Same<z.infer<typeof refreshRequestSchema>, RefreshRequest>>,
  Holds<Same<z.infer<typeof publicUserSchema>, PublicUser>>,
  Holds<Same<z.infer<typeof registerResponseSchema>, RegisterResponse>>,
  Holds<Same<z.infer<typeof tokenResponseSchema>, TokenResponse>>,
  Holds<Same<z.infer<typeof cookieTokenResponseSchema>, CookieTokenResponse>>,
  Holds<Same<z.infer<typeof meResponseSchema>, MeResponse>>,
  Holds<Same<z.infer<typeof sessionListResponseSchema>, SessionListResponse>>,
  Holds<Same<z.infer<typeof healthResponseSchema>, HealthResponse>>,
  Holds<Same<z.infer<typeof jwksResponseSchema>, JwksResponse>>,
  Holds<Same<z.infer<typeof errorBodySchema>, ErrorBody>>,
]
