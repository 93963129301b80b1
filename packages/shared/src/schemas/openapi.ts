import { z } from 'zod'
import { SERVER_ERRORS, type ServerErrorCode } from '../errors.js'
import { ROUTES } from '../routes.js'
import { DEVICE_COOKIE_NAME, REFRESH_TOKEN_TRANSPORT_HEADER } from '../transport.js'
import { ACCESS_TOKEN_TYPE, FIELD_BOUNDS, MAX_BODY_BYTES } from '../types.js'
import { schemaRegistry } from './schemas.js'

/** A JSON object of the OpenAPI document. */
export type OpenApiObject = { [key: string]: unknown }

/** An OpenAPI 3.1 document. */
export interface OpenApiDocument extends OpenApiObject {
  openapi: '3.1.0'
  info: {
    title: string
    version: string
    description: string
    license: { name: string; identifier: string }
  }
  servers: { url: string }[]
  paths: Record<string, Record<string, OpenApiObject>>
  components: OpenApiObject
}

/** Options of {@link createOpenApiDocument}. */
export interface OpenApiDocumentOptions {
  /**
   * `info.version`: the version of the server that answers by this document (the committed
   * `openapi.json` names `@refresh-kit/server`'s). @default '1.1.0'
   */
  version?: string
  /** Where the routes are mounted (the `servers` entry), e.g. `/identity`. @default '/' */
  prefix?: string
  /** Whether `POST /auth/register` is offered. @default true */
  registration?: boolean
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` })
const json = (schema: OpenApiObject) => ({ 'application/json': { schema } })

/** The license of refresh-kit, as its `LICENSE` file and every package.json say. */
const LICENSE = { name: 'MIT', identifier: 'MIT' }

/** Operations anyone may call: no credentials, or the refresh token is their credential. */
const PUBLIC: OpenApiObject[] = []
/** Operations that take an access token. */
const SIGNED_IN = [{ bearer: [] }]

/** The OpenAPI form of a path with `:param` segments (`/auth/sessions/{id}`). */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, '{$1}')
}

/** Request bodies: described as the server accepts them (unknown fields are ignored). */
const REQUEST_SCHEMAS = new Set([
  'ChangePasswordRequest',
  'Credentials',
  'LoginRequest',
  'RefreshRequest',
])

function componentSchemas(): Record<string, OpenApiObject> {
  const generate = (io: 'input' | 'output') =>
    (
      z.toJSONSchema(schemaRegistry, {
        target: 'draft-2020-12',
        io,
        uri: (id) => `#/components/schemas/${id}`,
        // What the registry says of a component, beside its id: zod reads only `.describe()`.
        override: ({ zodSchema, jsonSchema }) => {
          const description = schemaRegistry.get(zodSchema)?.description
          if (description !== undefined) jsonSchema.description ??= description
        },
      }) as { schemas: Record<string, OpenApiObject> }
    ).schemas
  // Answers as the server sends them: closed objects, so a field added by mistake shows.
  const output = generate('output')
  const input = generate('input')
  return Object.fromEntries(
    Object.keys(output)
      .sort()
      .map((id) => {
        const schema = (REQUEST_SCHEMAS.has(id) ? input[id] : output[id]) ?? {}
        // Each entry is a component, not a document of its own: no $schema or $id in it.
        const { $schema: _schema, $id: _id, id: _named, ...rest } = schema
        return [id, rest]
      }),
  )
}

function errorResponse(
  codes: readonly ServerErrorCode[],
  extra: OpenApiObject = {},
): OpenApiObject {
  return {
    description: codes.map((code) => `\`${code}\`: ${SERVER_ERRORS[code].description}`).join('; '),
    content: json({
      allOf: [ref('ErrorBody'), { properties: { error: { enum: [...codes] } } }],
    }),
    ...extra,
  }
}

const retryAfter = {
  headers: {
    'Retry-After': {
      description: 'Seconds to wait before trying again.',
      schema: { type: 'integer' },
    },
  },
}

/** The error answers every route may give, by status. */
function commonErrors(store: boolean): Record<string, OpenApiObject> {
  return {
    ...(store ? { '503': { $ref: '#/components/responses/ServiceUnavailable' } } : {}),
    '500': { $ref: '#/components/responses/InternalError' },
  }
}

function bodyErrors(): Record<string, OpenApiObject> {
  return {
    '400': { $ref: '#/components/responses/InvalidRequest' },
    '413': { $ref: '#/components/responses/PayloadTooLarge' },
    '415': { $ref: '#/components/responses/UnsupportedMediaType' },
  }
}

const bearerErrors = {
  '401': errorResponse(['missing_token', 'invalid_token', 'token_expired'], {
    headers: {
      'WWW-Authenticate': {
        description:
          'An RFC 6750 challenge: `Bearer realm="refresh-kit"`, with `error` and `error_description` when a token was sent.',
        schema: { type: 'string' },
      },
    },
  }),
}

const noStore = {
  'Cache-Control': {
    description: 'Always `no-store` (RFC 6749 §5.1).',
    schema: { const: 'no-store' },
  },
}

function requestBody(id: string): OpenApiObject {
  return { required: true, content: json(ref(id)) }
}

/** The client's choice of refresh-token transport (when the server lets it choose). */
const transportParameter = {
  name: REFRESH_TOKEN_TRANSPORT_HEADER,
  in: 'header',
  required: false,
  description:
    '`cookie`: the refresh token travels in the `HttpOnly` refresh cookie, not the JSON body; `body` or absent: in the body. The server may fix the transport (`REFRESH_TOKEN_TRANSPORT`). Refresh and logout by cookie must send `cookie`. Another value is `400 invalid_request`.',
  schema: { type: 'string', enum: ['cookie', 'body'] },
}

/**
 * The refresh cookie, read by refresh and logout when the body has no `refreshToken`. Its
 * name is the server's `REFRESH_COOKIE_NAME`; this is its default.
 */
const refreshCookieParameter = {
  name: 'rk_refresh',
  in: 'cookie',
  required: false,
  description: `The refresh token in the cookie transport (the cookie's name is the server's \`REFRESH_COOKIE_NAME\`, \`rk_refresh\` by default). Read only when the body has no \`refreshToken\`; it must come with \`${REFRESH_TOKEN_TRANSPORT_HEADER}: cookie\` and, when the request has an \`Origin\`, from the server's own origin or an allowed one, or the answer is \`403 csrf_rejected\`. One of more than ${FIELD_BOUNDS.refreshToken.max} characters is taken as an unknown refresh token, and cleared.`,
  schema: { type: 'string', maxLength: FIELD_BOUNDS.refreshToken.max },
}

/** The device cookie a login in the cookie transport sets, read back at the next login. */
const deviceCookieParameter = {
  name: DEVICE_COOKIE_NAME,
  in: 'cookie',
  required: false,
  description: `The device token of this browser's last login, which the cookie transport set: a device that signed in to the user before is limited on its own, not with strangers. The body's \`deviceToken\` wins over it; one of more than ${FIELD_BOUNDS.deviceToken.max} characters counts as none.`,
  schema: { type: 'string' },
}

const setCookie = {
  'Set-Cookie': {
    description:
      'In the cookie transport: the refresh cookie (`HttpOnly`, `Secure`, `SameSite`, `Path` the directory of the token endpoints, `Max-Age` the refresh lifetime); `Max-Age=0` clears it. A login also sets the device cookie `rk_device` (the same attributes, `Max-Age` a year), which the browser sends back at its next login.',
    schema: { type: 'string' },
  },
}

const csrfRejected = {
  '403': errorResponse(['csrf_rejected'], {
    description:
      "`csrf_rejected`: the refresh cookie came without `X-Refresh-Token-Transport: cookie`, or from an origin that is neither the server's own nor an allowed one. Nothing was rotated or revoked.",
  }),
}

/**
 * Body of refresh and logout: the token, or in the cookie transport no body field at all
 * (the cookie carries it).
 */
const refreshBody = {
  required: false,
  description: `Required in the body transport; in the cookie transport send \`{}\` with \`${REFRESH_TOKEN_TRANSPORT_HEADER}: cookie\`.`,
  content: json({
    anyOf: [
      ref('RefreshRequest'),
      { type: 'object', description: 'Without `refreshToken`: the cookie carries it.' },
    ],
  }),
}

/**
 * The OpenAPI 3.1 document of the token server's HTTP contract, generated from the zod
 * schemas that validate its requests: every endpoint, body, error and header.
 *
 * @example
 * ```ts
 * import { createOpenApiDocument } from '@refresh-kit/shared/schemas'
 * const doc = createOpenApiDocument()
 * doc.paths['/auth/login']?.post
 * ```
 */
export function createOpenApiDocument(options: OpenApiDocumentOptions = {}): OpenApiDocument {
  const registration = options.registration ?? true
  const tokenAnswer = (description: string) => ({
    description: `${description} In the cookie transport the refresh token is in \`Set-Cookie\` and not in the body.`,
    headers: { ...noStore, ...setCookie },
    content: json({ oneOf: [ref('TokenResponse'), ref('CookieTokenResponse')] }),
  })
  const paths: OpenApiDocument['paths'] = {
    ...(registration
      ? {
          [ROUTES.register]: {
            post: {
              operationId: 'register',
              summary: 'Create a user',
              tags: ['auth'],
              security: PUBLIC,
              requestBody: requestBody('Credentials'),
              responses: {
                '201': {
                  description: 'The user was created.',
                  headers: noStore,
                  content: json(ref('RegisterResponse')),
                },
                ...bodyErrors(),
                '404': errorResponse(['not_found'], {
                  description:
                    '`not_found`: registration is off on this server (its user adapter cannot create users); such a server also leaves this path out of its document',
                }),
                '409': errorResponse(['user_exists']),
                '429': errorResponse(['rate_limited'], retryAfter),
                ...commonErrors(true),
              },
            },
          },
        }
      : {}),
    [ROUTES.login]: {
      post: {
        operationId: 'login',
        summary: 'Start a session',
        description:
          'Beyond `MAX_SESSIONS_PER_USER` sessions, the least recently used one ends. Failed logins are limited per username and address, per address and per username, all logins per address: past a limit, `429` with `Retry-After` before the password is checked. A device that signed in to the user before (the `rk_device` cookie, or `deviceToken` in the body) is limited on its own, not with strangers. When password hashing is saturated, `503` at once.',
        tags: ['auth'],
        security: PUBLIC,
        parameters: [transportParameter, deviceCookieParameter],
        requestBody: requestBody('LoginRequest'),
        responses: {
          '200': tokenAnswer('A new session: an access token and its first refresh token.'),
          ...bodyErrors(),
          '401': errorResponse(['invalid_credentials']),
          '429': errorResponse(['rate_limited'], retryAfter),
          ...commonErrors(true),
        },
      },
    },
    [ROUTES.refresh]: {
      post: {
        operationId: 'refresh',
        summary: 'Rotate a refresh token',
        description:
          'The presented token stops working and a new pair is returned. Within the reuse grace window the immediately previous token gets the same successor; an older one revokes the session.',
        tags: ['auth'],
        security: PUBLIC,
        parameters: [transportParameter, refreshCookieParameter],
        requestBody: refreshBody,
        responses: {
          '200': tokenAnswer('The rotated pair.'),
          ...bodyErrors(),
          '401': errorResponse(['invalid_refresh_token', 'refresh_token_reused'], {
            headers: setCookie,
          }),
          ...csrfRejected,
          ...commonErrors(true),
        },
      },
    },
    [ROUTES.logout]: {
      post: {
        operationId: 'logout',
        summary: 'End the session of a refresh token',
        tags: ['auth'],
        security: PUBLIC,
        parameters: [transportParameter, refreshCookieParameter],
        requestBody: refreshBody,
        responses: {
          '204': {
            description:
              'Ended, or already unknown or revoked (RFC 7009 §2.2). In the cookie transport the cookie is cleared.',
            headers: { ...noStore, ...setCookie },
          },
          ...bodyErrors(),
          ...csrfRejected,
          ...commonErrors(true),
        },
      },
    },
    [ROUTES.logoutAll]: {
      post: {
        operationId: 'logoutAll',
        summary: "End every session of the token's user",
        tags: ['auth'],
        security: SIGNED_IN,
        responses: {
          '204': { description: 'Every session of the user was revoked.', headers: noStore },
          ...bearerErrors,
          ...bodyErrors(),
          ...commonErrors(true),
        },
      },
    },
    [ROUTES.password]: {
      post: {
        operationId: 'changePassword',
        summary: 'Replace the password; every other session of the user ends',
        tags: ['auth'],
        security: SIGNED_IN,
        requestBody: requestBody('ChangePasswordRequest'),
        responses: {
          '204': { description: 'Changed; the calling session stays.', headers: noStore },
          ...bodyErrors(),
          '401': errorResponse(
            ['missing_token', 'invalid_token', 'token_expired', 'invalid_credentials'],
            {
              description:
                'A missing or bad access token, or `invalid_credentials`: the current password is wrong (counted as a failed login)',
            },
          ),
          '404': errorResponse(['not_found'], {
            description:
              '`not_found`: users live in another user adapter, which owns their passwords',
          }),
          '429': errorResponse(['rate_limited'], retryAfter),
          ...commonErrors(true),
        },
      },
    },
    [ROUTES.me]: {
      get: {
        operationId: 'me',
        summary: 'Who the access token speaks for',
        tags: ['auth'],
        security: SIGNED_IN,
        responses: {
          '200': {
            description: 'The user and session.',
            headers: noStore,
            content: json(ref('MeResponse')),
          },
          ...bearerErrors,
          ...commonErrors(false),
        },
      },
    },
    [ROUTES.sessions]: {
      get: {
        operationId: 'listSessions',
        summary: "The user's live sessions, newest first",
        tags: ['sessions'],
        security: SIGNED_IN,
        responses: {
          '200': {
            description: 'The sessions; `current` marks the one that asked.',
            headers: noStore,
            content: json(ref('SessionListResponse')),
          },
          ...bearerErrors,
          ...commonErrors(true),
        },
      },
    },
    [openApiPath(ROUTES.session)]: {
      delete: {
        operationId: 'revokeSession',
        summary: 'End one session of the user',
        tags: ['sessions'],
        security: SIGNED_IN,
        parameters: [
          {
            name: 'id',
            in: 'path',
            required: true,
            description: 'The session id, as `GET /auth/sessions` lists it.',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '204': { description: 'The session was revoked.', headers: noStore },
          ...bearerErrors,
          '404': errorResponse(['not_found']),
          ...commonErrors(true),
        },
      },
    },
    [ROUTES.jwks]: {
      get: {
        operationId: 'jwks',
        summary: 'Public keys of the access tokens',
        description: 'Only when an asymmetric algorithm (ES256, EdDSA, RS256) is configured.',
        tags: ['keys'],
        security: PUBLIC,
        responses: {
          '200': {
            description: 'The key set; cacheable (`Cache-Control: public, max-age`), with an ETag.',
            content: json(ref('JwksResponse')),
          },
          '304': { description: 'Not modified since the ETag given in `If-None-Match`.' },
          '404': errorResponse(['not_found']),
          ...commonErrors(false),
        },
      },
    },
    [ROUTES.healthz]: {
      get: {
        operationId: 'healthz',
        summary: 'Liveness: the process runs',
        tags: ['health'],
        security: PUBLIC,
        responses: {
          '200': { description: 'Alive.', content: json(ref('HealthResponse')) },
          ...commonErrors(false),
        },
      },
    },
    [ROUTES.readyz]: {
      get: {
        operationId: 'readyz',
        summary: 'Readiness: the token store answers',
        tags: ['health'],
        security: PUBLIC,
        responses: {
          '200': { description: 'Ready.', content: json(ref('HealthResponse')) },
          ...commonErrors(true),
        },
      },
    },
    [ROUTES.openapi]: {
      get: {
        operationId: 'openapi',
        summary: 'This document',
        tags: ['health'],
        security: PUBLIC,
        responses: {
          '200': {
            description: 'The OpenAPI 3.1 document of this contract.',
            content: json({ type: 'object' }),
          },
          ...commonErrors(false),
        },
      },
    },
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'refresh-kit token server',
      version: options.version ?? '1.1.0',
      license: LICENSE,
      description:
        'Short-lived JWT access tokens and rotating refresh tokens with reuse detection. Every error has the body `ErrorBody`; an unknown path is `404 not_found`, a known path with the wrong method `405 method_not_allowed` with an `Allow` header.',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    // Paths are relative to where the routes are mounted; `/` is OpenAPI's own default.
    servers: [
      { url: options.prefix === undefined || options.prefix === '' ? '/' : options.prefix },
    ],
    tags: [
      { name: 'auth', description: 'Sign-in and tokens' },
      { name: 'sessions', description: "The signed-in user's sessions" },
      { name: 'keys', description: 'Verification keys for resource servers' },
      { name: 'health', description: 'Probes and this document' },
    ],
    paths,
    components: {
      schemas: componentSchemas(),
      responses: {
        InvalidRequest: errorResponse(['invalid_request']),
        PayloadTooLarge: errorResponse(['payload_too_large'], {
          description: `\`payload_too_large\`: a body over ${MAX_BODY_BYTES} bytes`,
        }),
        UnsupportedMediaType: errorResponse(['unsupported_media_type']),
        ServiceUnavailable: errorResponse(['service_unavailable'], {
          ...retryAfter,
          description:
            '`service_unavailable`: the token store did not answer in time, or (register, login, password change) password hashing is saturated; retry after `Retry-After`',
        }),
        InternalError: errorResponse(['internal_error']),
      },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: `An access token (\`typ: ${ACCESS_TOKEN_TYPE}\`) in \`Authorization: Bearer …\`.`,
        },
      },
    },
  }
}
