import type { ChangePasswordRequest, Credentials, ErrorDetail } from '@refresh-kit/shared'
import { FIELD_BOUNDS } from '@refresh-kit/shared'
import { AuthError } from '../errors.js'

type Body = Record<string, unknown>

const LONE_SURROGATE = /\p{Surrogate}/u

function usernameProblem(value: unknown): string | null {
  const { min, max, pattern } = FIELD_BOUNDS.username
  if (typeof value !== 'string') return 'must be a string'
  if (value.length < min || value.length > max) return `must be ${min} to ${max} characters`
  if (!pattern.test(value)) return 'may only contain A-Z a-z 0-9 . _ @ -'
  return null
}

function passwordProblem(value: unknown): string | null {
  const { min, max } = FIELD_BOUNDS.password
  if (typeof value !== 'string') return 'must be a string'
  if (value.length < min || value.length > max) return `must be ${min} to ${max} characters`
  // A lone surrogate cannot be encoded: it would hash as U+FFFD and match another password.
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (no lone surrogates)'
  return null
}

function refreshTokenProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return 'must be a non-empty string'
  if (value.length > FIELD_BOUNDS.refreshToken.max) {
    return `must be at most ${FIELD_BOUNDS.refreshToken.max} characters`
  }
  return null
}

function reject(details: ErrorDetail[]): never {
  const message = details.map((detail) => `${detail.field} ${detail.problem}`).join('; ')
  throw new AuthError('invalid_request', message, { details })
}

/** `{ username, password }` within the contract's bounds, or `400 invalid_request` with details. */
export function readCredentials(body: Body): Credentials {
  const details: ErrorDetail[] = []
  const username = usernameProblem(body.username)
  if (username !== null) details.push({ field: 'username', problem: username })
  const password = passwordProblem(body.password)
  if (password !== null) details.push({ field: 'password', problem: password })
  if (details.length > 0) reject(details)
  return { username: body.username as string, password: body.password as string }
}

/** `{ refreshToken }` within the contract's bounds, or `400 invalid_request` with details. */
export function readRefreshToken(body: Body): string {
  const problem = refreshTokenProblem(body.refreshToken)
  if (problem !== null) reject([{ field: 'refreshToken', problem }])
  return body.refreshToken as string
}

/** `{ currentPassword, newPassword }` within the contract's bounds, or `400 invalid_request`. */
export function readPasswordChange(body: Body): ChangePasswordRequest {
  const details: ErrorDetail[] = []
  for (const field of ['currentPassword', 'newPassword'] as const) {
    const problem = passwordProblem(body[field])
    if (problem !== null) details.push({ field, problem })
  }
  if (details.length > 0) reject(details)
  return {
    currentPassword: body.currentPassword as string,
    newPassword: body.newPassword as string,
  }
}
