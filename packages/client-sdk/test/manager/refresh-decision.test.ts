import { describe, expect, it } from 'vitest'
import { AuthError } from '../../src/errors.js'
import {
  type FailedRequest,
  isRefreshableAnswer,
  mayRefresh,
  type Refresher,
  refreshAndReplay,
  refreshError,
  refreshFailure,
} from '../../src/manager/refresh-decision.js'
import type { StoredTokens } from '../../src/types.js'

const tokens = (accessToken: string): StoredTokens => ({
  accessToken,
  refreshToken: 'rt',
  expiresAt: 1,
  refreshExpiresAt: 2,
})

/** A manager whose refresh answers `at-2` and records what it was asked. */
function refresher(): Refresher & { asked: unknown[] } {
  const asked: unknown[] = []
  return {
    asked,
    refresh: async (options) => {
      asked.push(options)
      return tokens('at-2')
    },
  }
}

const failed = (request: Partial<FailedRequest> = {}): FailedRequest => ({
  sentToken: 'at-1',
  skipAuthRefresh: undefined,
  managed: true,
  ...request,
})

describe('isRefreshableAnswer', () => {
  it('refreshes on a 401 that says token_expired or invalid_token, and on nothing else', () => {
    expect(isRefreshableAnswer(401, { error: 'token_expired' })).toBe(true)
    expect(isRefreshableAnswer(401, { error: 'invalid_token' })).toBe(true)
    expect(isRefreshableAnswer(401, { error: 'missing_token' })).toBe(false)
    expect(isRefreshableAnswer(401, { error: 'invalid_credentials' })).toBe(false)
    expect(isRefreshableAnswer(403, { error: 'token_expired' })).toBe(false)
    expect(isRefreshableAnswer(401, null)).toBe(false)
    expect(isRefreshableAnswer(401, 'token_expired')).toBe(false)
  })
})

describe('mayRefresh', () => {
  it('lets only an unflagged request that carried a bearer to an authorized origin refresh', () => {
    expect(mayRefresh(failed())).toBe(true)
    expect(mayRefresh(failed({ skipAuthRefresh: true }))).toBe(false)
    expect(mayRefresh(failed({ managed: false }))).toBe(false)
    expect(mayRefresh(failed({ sentToken: undefined }))).toBe(false)
    expect(mayRefresh(failed({ sentToken: null }))).toBe(false)
  })
})

describe('refreshAndReplay', () => {
  const asIs = (refresh: Promise<StoredTokens>) => refresh

  it('refreshes once as reactive, naming the token the request was sent with, and replays with the new one', async () => {
    const manager = refresher()
    const replays: string[] = []
    const answer = await refreshAndReplay(
      manager,
      failed(),
      () => true,
      async (token) => {
        replays.push(token)
        return `replayed with ${token}`
      },
      asIs,
    )
    expect(answer).toBe('replayed with at-2')
    expect(manager.asked).toEqual([{ trigger: 'reactive', staleAccessToken: 'at-1' }])
    expect(replays).toEqual(['at-2'])
  })

  it('never refreshes a replay again: a flagged request is handed back unrefreshed, its answer unjudged', async () => {
    const manager = refresher()
    let judged = 0
    const answer = await refreshAndReplay(
      manager,
      failed({ skipAuthRefresh: true }),
      () => {
        judged += 1
        return true
      },
      async () => 'replayed',
      asIs,
    )
    expect(answer).toBeUndefined()
    expect(manager.asked).toEqual([])
    expect(judged).toBe(0)
  })

  it('hands back an answer that does not call for a refresh, asynchronous judgement included', async () => {
    const manager = refresher()
    const answer = await refreshAndReplay(
      manager,
      failed(),
      async () => false,
      async () => 'replayed',
      asIs,
    )
    expect(answer).toBeUndefined()
    expect(manager.asked).toEqual([])
  })

  it('sends no refresh when the judgement refuses the replay by throwing (a body that cannot be sent again)', async () => {
    const manager = refresher()
    const refused = new AuthError('request_not_replayable', { status: 401 })
    const error = await refreshAndReplay(
      manager,
      failed(),
      () => {
        throw refused
      },
      async () => 'replayed',
      asIs,
    ).catch((thrown: unknown) => thrown)
    expect(error).toBe(refused)
    expect(manager.asked).toEqual([])
  })

  it('waits for the refresh through the binding, so an aborted request stops waiting and is not replayed', async () => {
    const manager = refresher()
    const aborted = new Error('aborted')
    let replayed = 0
    const error = await refreshAndReplay(
      manager,
      failed(),
      () => true,
      async () => {
        replayed += 1
        return 'replayed'
      },
      () => Promise.reject(aborted),
    ).catch((thrown: unknown) => thrown)
    expect(error).toBe(aborted)
    expect(replayed).toBe(0)
  })
})

describe('refreshFailure', () => {
  const failure = (code: string, status?: number) =>
    refreshFailure(new AuthError(code, { status, retryable: status === undefined }))

  it('ends the session when the server refused the refresh token', () => {
    expect(failure('invalid_refresh_token', 401)).toBe('end')
    expect(failure('refresh_token_reused', 401)).toBe('end')
    expect(failure('invalid_request', 400)).toBe('end')
    expect(failure('forbidden', 403)).toBe('end')
    expect(failure('session_expired')).toBe('end')
  })

  it('keeps the session on a transient failure', () => {
    expect(failure('network_error')).toBe('keep')
    expect(failure('refresh_timeout')).toBe('keep')
    expect(failure('rate_limited', 429)).toBe('keep')
    expect(failure('service_unavailable', 503)).toBe('keep')
  })

  it('keeps the session on 403 csrf_rejected: the origin was refused, not the refresh token', () => {
    expect(failure('csrf_rejected', 403)).toBe('keep')
  })
})

describe('refreshError', () => {
  it('says what to fix on csrf_rejected: CORS_ORIGINS, or a proxy that keeps Host', () => {
    const error = refreshError(
      new AuthError('csrf_rejected', {
        status: 403,
        message: 'this origin may not use the refresh cookie',
      }),
    )
    expect(error).toMatchObject({ code: 'csrf_rejected', status: 403, retryable: false })
    expect(error.message).toContain('403 csrf_rejected')
    expect(error.message).toContain('CORS_ORIGINS')
    expect(error.message).toContain('Host header')
  })

  it('leaves every other error as it is', () => {
    const other = new AuthError('invalid_refresh_token', { status: 401 })
    expect(refreshError(other)).toBe(other)
  })
})
