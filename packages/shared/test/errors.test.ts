import { describe, expect, it } from 'vitest'
import {
  CLIENT_ERRORS,
  isServerErrorCode,
  SERVER_ERROR_CODES,
  SERVER_ERRORS,
  statusOf,
} from '../src/index.js'

describe('error table', () => {
  it('holds every code of the HTTP contract with its status', () => {
    expect(Object.fromEntries(SERVER_ERROR_CODES.map((code) => [code, statusOf(code)]))).toEqual({
      invalid_request: 400,
      invalid_credentials: 401,
      missing_token: 401,
      invalid_token: 401,
      token_expired: 401,
      invalid_refresh_token: 401,
      refresh_token_reused: 401,
      insufficient_scope: 403,
      not_found: 404,
      method_not_allowed: 405,
      user_exists: 409,
      payload_too_large: 413,
      csrf_rejected: 403,
      unsupported_media_type: 415,
      rate_limited: 429,
      internal_error: 500,
      service_unavailable: 503,
    })
  })

  it('recognises server codes and nothing else', () => {
    expect(isServerErrorCode('token_expired')).toBe(true)
    expect(isServerErrorCode('session_expired')).toBe(false)
    expect(isServerErrorCode('toString')).toBe(false)
    expect(isServerErrorCode(401)).toBe(false)
  })

  it('keeps client codes apart from server codes', () => {
    for (const code of Object.keys(CLIENT_ERRORS)) {
      expect(Object.hasOwn(SERVER_ERRORS, code)).toBe(false)
    }
  })
})
