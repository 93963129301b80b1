import type { AuthErrorCode } from '@refresh-kit/shared'
import { AxiosHeaders } from 'axios'
import { describe, expect, expectTypeOf, it } from 'vitest'
import type { AuthErrorCodeLike } from '../src/errors.js'
import { AuthError, isAuthError, retryAfterMs, toAuthError } from '../src/errors.js'

describe('AuthError', () => {
  it('carries code, status, retryable and cause', () => {
    const cause = new Error('socket hang up')
    const error = new AuthError('network_error', { retryable: true, cause })
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({
      name: 'AuthError',
      code: 'network_error',
      status: undefined,
      retryable: true,
      cause,
    })
    expect(new AuthError('session_expired').retryable).toBe(false)
  })

  it('is recognised by its brand, also when it comes from another copy of the package', () => {
    const copy = Object.assign(new Error('from another copy'), {
      [Symbol.for('refresh-kit.AuthError')]: true,
      code: 'session_expired',
    })
    expect(isAuthError(copy)).toBe(true)
    expect(isAuthError(new AuthError('refresh_timeout'))).toBe(true)
    expect(isAuthError(new Error('plain'))).toBe(false)
    expect(isAuthError({ code: 'session_expired' })).toBe(false)
    expect(isAuthError(null)).toBe(false)
    expect(isAuthError('session_expired')).toBe(false)
  })
})

describe('toAuthError', () => {
  const answered = (status: number, data: unknown, headers = new AxiosHeaders()) =>
    Object.assign(new Error(`status ${status}`), { response: { status, data, headers } })

  it('keeps the server code, status and message', () => {
    const error = toAuthError(answered(401, { error: 'refresh_token_reused', message: 'reused' }))
    expect(error).toMatchObject({
      code: 'refresh_token_reused',
      status: 401,
      retryable: false,
      message: 'reused',
    })
  })

  it('marks 408, 429 and 5xx retryable, and names answers without a code', () => {
    expect(toAuthError(answered(503, { error: 'service_unavailable', message: '' }))).toMatchObject(
      { code: 'service_unavailable', retryable: true },
    )
    expect(toAuthError(answered(429, ''))).toMatchObject({ code: 'rate_limited', retryable: true })
    expect(toAuthError(answered(502, null))).toMatchObject({
      code: 'service_unavailable',
      status: 502,
      retryable: true,
    })
    expect(toAuthError(answered(408, null)).retryable).toBe(true)
    expect(toAuthError(answered(400, null))).toMatchObject({
      code: 'invalid_request',
      retryable: false,
    })
  })

  it('makes an error without an answer a retryable network_error', () => {
    const cause = new Error('ECONNREFUSED')
    expect(toAuthError(cause)).toMatchObject({
      code: 'network_error',
      status: undefined,
      retryable: true,
      cause,
    })
  })

  it('returns an AuthError as it is', () => {
    const error = new AuthError('refresh_timeout')
    expect(toAuthError(error)).toBe(error)
  })

  it("keeps the server's details of a refused field, and Retry-After in seconds", () => {
    const details = [{ field: 'password', problem: 'is a commonly used password' }]
    const refused = toAuthError(
      answered(400, { error: 'invalid_request', message: 'password is weak', details }),
    )
    expect(refused).toMatchObject({ code: 'invalid_request', details })
    expect(refused.retryAfter).toBeUndefined()
    const limited = toAuthError(
      answered(
        429,
        { error: 'rate_limited', message: 'wait' },
        new AxiosHeaders({ 'Retry-After': '42' }),
      ),
    )
    expect(limited).toMatchObject({ code: 'rate_limited', retryable: true, retryAfter: 42 })
    expect(limited.details).toBeUndefined()
    // Absent, they are not there at all: an error prints as it did before them.
    expect(Object.keys(toAuthError(answered(401, { error: 'invalid_credentials' })))).toEqual([
      'name',
      'code',
      'status',
      'retryable',
    ])
  })

  it('reads Retry-After in seconds', () => {
    expect(retryAfterMs(answered(503, null, new AxiosHeaders({ 'Retry-After': '7' })))).toBe(7000)
    expect(retryAfterMs(answered(503, null, new AxiosHeaders()))).toBe(0)
    expect(retryAfterMs(answered(503, null, new AxiosHeaders({ 'Retry-After': 'soon' })))).toBe(0)
    expect(retryAfterMs(new Error('no answer'))).toBe(0)
  })
})

describe('codes from newer servers', () => {
  it('passes a code the client does not know through intact, typed as the known codes or any string', () => {
    const error = toAuthError(
      Object.assign(new Error('status 403'), {
        response: { status: 403, data: { error: 'mfa_required', message: 'second factor' } },
      }),
    )
    expect(error).toMatchObject({ code: 'mfa_required', status: 403, message: 'second factor' })
    expectTypeOf(error.code).toEqualTypeOf<AuthErrorCodeLike>()
    expectTypeOf<'session_expired'>().toExtend<AuthError['code']>()
    expectTypeOf<'mfa_required'>().toExtend<AuthError['code']>()
    expectTypeOf<AuthErrorCode>().toExtend<AuthError['code']>()
  })
})
