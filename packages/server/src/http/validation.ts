import type {
  ChangePasswordRequest,
  Credentials,
  ErrorDetail,
  LoginRequest,
} from '@refresh-kit/shared'
import {
  changePasswordRequestSchema,
  credentialsSchema,
  loginRequestSchema,
  refreshRequestSchema,
} from '@refresh-kit/shared/schemas'
import type { z } from 'zod'
import { AuthError } from '../errors.js'

type Body = Record<string, unknown>

function reject(details: ErrorDetail[]): never {
  const message = details.map((detail) => `${detail.field} ${detail.problem}`).join('; ')
  throw new AuthError('invalid_request', message, { details })
}

/**
 * The body parsed by `schema` (the one the OpenAPI document is generated from), or
 * `400 invalid_request` with one detail per field at fault, in the schema's field order.
 */
function read<Schema extends z.ZodType>(schema: Schema, body: Body): z.infer<Schema> {
  const result = schema.safeParse(body)
  if (result.success) return result.data
  const details: ErrorDetail[] = []
  for (const issue of result.error.issues) {
    const field = issue.path.join('.')
    // One problem per field: the first, as a person would fix them one at a time.
    if (!details.some((detail) => detail.field === field)) {
      details.push({ field, problem: issue.message })
    }
  }
  reject(details)
}

/** `{ username, password }` within the contract's bounds, or `400 invalid_request` with details. */
export function readCredentials(body: Body): Credentials {
  return read(credentialsSchema, body)
}

/** `{ username, password, deviceToken? }` of a login, or `400 invalid_request` with details. */
export function readLogin(body: Body): LoginRequest {
  const { deviceToken, ...credentials } = read(loginRequestSchema, body)
  return deviceToken === undefined ? credentials : { ...credentials, deviceToken }
}

/** `{ refreshToken }` within the contract's bounds, or `400 invalid_request` with details. */
export function readRefreshToken(body: Body): string {
  return read(refreshRequestSchema, body).refreshToken
}

/** `{ currentPassword, newPassword }` within the contract's bounds, or `400 invalid_request`. */
export function readPasswordChange(body: Body): ChangePasswordRequest {
  return read(changePasswordRequestSchema, body)
}
