export type { OpenApiDocument, OpenApiDocumentOptions, OpenApiObject } from './openapi.js'
export { createOpenApiDocument, openApiPath } from './openapi.js'
export type { SchemasMatchTypes } from './schemas.js'
export {
  changePasswordRequestSchema,
  cookieTokenResponseSchema,
  credentialsSchema,
  errorBodySchema,
  errorDetailSchema,
  healthResponseSchema,
  jwksResponseSchema,
  loginRequestSchema,
  meResponseSchema,
  passwordSchema,
  publicJwkSchema,
  publicUserSchema,
  refreshRequestSchema,
  registerResponseSchema,
  schemaRegistry,
  sessionInfoSchema,
  sessionListResponseSchema,
  tokenResponseSchema,
  usernameSchema,
} from './schemas.js'
