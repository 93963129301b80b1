import { createTokenManager } from '@refresh-kit/client-sdk/fetch'
import { describe, expect, it, vi } from 'vitest'
import { type AnyAuthClient, createSessionStore, LOADING, type SessionState } from '../src/store.js'

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'HS256' })}.${b64(claims)}.sig`
const answer = (n: number) => ({
  accessToken: jwt({ sub: 'u-1', username: 'ada', n }),
  refreshToken: `rt-${n}`,
  expiresIn: 60,
  refreshExpiresIn: 3600,
})

/** A client over a real token manager whose refresh the test answers. */
function setup() {
  let reply: (n: number) => Promise<ReturnType<typeof answer>> = async (n) => answer(n)
  let calls = 0
  const manager = createTokenManager({
    refresh: async () => reply(++calls),
    refreshOnWake: false,
  })
  const client: AnyAuthClient = {
    manager,
    login: async () => manager.setTokens(answer(0)),
    logout: () => manager.clear(),
    logoutAll: () => manager.clear(),
    getAccessToken: () => manager.getAccessToken(),
    isAuthenticated: () => manager.isAuthenticated(),
    on: (event, listener) => manager.on(event, listener),
  }
  const store = createSessionStore(client)
  const seen: SessionState[] = []
  const unsubscribe = store.subscribe(() => seen.push(store.getSnapshot()))
  return {
    client,
    manager,
    store,
    seen,
    unsubscribe,
    answerWith(next: typeof reply) {
      reply = next
    },
  }
}

const statuses = (states: SessionState[]) => states.map((state) => state.status)

describe('createSessionStore', () => {
  it('starts loading, reads storage on subscription, and shows the user from the claims', async () => {
    const { store, seen, client } = setup()
    expect(LOADING.status).toBe('loading')
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(statuses(seen)).toEqual(['signed-out'])
    await client.login({ username: 'ada', password: 'x' })
    expect(store.getSnapshot()).toMatchObject({
      status: 'signed-in',
      user: { id: 'u-1', username: 'ada' },
      claims: { n: 0 },
      expiring: false,
    })
  })

  it('stays signed in through a refresh, only marking it expiring meanwhile', async () => {
    const { seen, client, manager } = setup()
    await client.login({ username: 'ada', password: 'x' })
    seen.length = 0
    await manager.refresh()
    expect(statuses(seen)).toEqual(['signed-in', 'signed-in'])
    expect(seen.map((state) => state.expiring)).toEqual([true, false])
    expect(seen.at(-1)?.claims).toMatchObject({ n: 1 })
  })

  it('goes from signed in to expired once, never signed out in between', async () => {
    const { seen, client, manager, answerWith } = setup()
    await client.login({ username: 'ada', password: 'x' })
    seen.length = 0
    answerWith(async () => {
      throw Object.assign(new Error('401'), {
        response: { status: 401, data: { error: 'invalid_refresh_token' } },
      })
    })
    await Promise.allSettled([manager.refresh(), manager.refresh(), manager.refresh()])
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(statuses(seen)).toEqual(['signed-in', 'expired'])
    expect(seen.at(-1)?.error?.code).toBe('session_expired')
  })

  it('shows signed out after a logout, and a transient failure keeps the session', async () => {
    const { seen, client, manager, answerWith, store } = setup()
    await client.login({ username: 'ada', password: 'x' })
    answerWith(async () => {
      throw new TypeError('fetch failed')
    })
    await manager.refresh().catch(() => {})
    expect(store.getSnapshot()).toMatchObject({ status: 'signed-in', expiring: false })
    seen.length = 0
    await client.logout()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(statuses(seen)).toEqual(['signed-out'])
  })

  it('reads the first state through restore() when the client has one', async () => {
    const manager = createTokenManager({ refresh: async () => answer(1), refreshOnWake: false })
    let restored = 0
    const client: AnyAuthClient = {
      manager,
      login: async () => manager.setTokens(answer(0)),
      logout: () => manager.clear(),
      logoutAll: () => manager.clear(),
      getAccessToken: () => manager.getAccessToken(),
      isAuthenticated: () => manager.isAuthenticated(),
      on: (event, listener) => manager.on(event, listener),
      // As a cookie-mode client does after a reload: storage is empty, the server knows.
      restore: async () => {
        restored += 1
        return { ...(await manager.setTokens(answer(5))) }
      },
    }
    const store = createSessionStore(client)
    const seen: SessionState[] = []
    store.subscribe(() => seen.push(store.getSnapshot()))
    await vi.waitFor(() => expect(store.getSnapshot().status).toBe('signed-in'))
    expect(restored).toBe(1)
    expect(store.getSnapshot().claims).toMatchObject({ n: 5 })
    expect(statuses(seen).includes('signed-out')).toBe(false)
  })

  it('shows why a reload could not restore the session when the server refused the origin (csrf_rejected), not a plain signed out', async () => {
    const manager = createTokenManager({
      refreshTokenTransport: 'cookie',
      refreshOnWake: false,
      refresh: async () => {
        throw Object.assign(new Error('Request failed with status code 403'), {
          response: {
            status: 403,
            data: { error: 'csrf_rejected', message: 'this origin may not use the refresh cookie' },
          },
        })
      },
    })
    const client: AnyAuthClient = {
      manager,
      login: async () => manager.setTokens(answer(0)),
      logout: () => manager.clear(),
      logoutAll: () => manager.clear(),
      getAccessToken: () => manager.getAccessToken(),
      isAuthenticated: () => manager.isAuthenticated(),
      on: (event, listener) => manager.on(event, listener),
      restore: () => manager.restore(),
    }
    const store = createSessionStore(client)
    store.subscribe(() => {})
    await vi.waitFor(() => expect(store.getSnapshot().status).toBe('signed-out'))
    const { error } = store.getSnapshot()
    expect(error).toMatchObject({ code: 'csrf_rejected', status: 403 })
    expect(error?.message).toContain('CORS_ORIGINS')
  })

  it('stops listening when the last subscriber leaves', async () => {
    const { unsubscribe, seen, client } = setup()
    await new Promise((resolve) => setTimeout(resolve, 0))
    unsubscribe()
    seen.length = 0
    await client.login({ username: 'ada', password: 'x' })
    expect(seen).toEqual([])
  })
})
