import { describe, expect, it } from 'vitest'
import { AuthError } from '../../src/errors.js'
import {
  type FailedRequest,
  isRefreshableAnswer,
  mayRefresh,
  type Refresher,
  refreshAndReplay,
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
