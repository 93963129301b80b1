import { afterEach, describe, expect, it, vi } from 'vitest'
import { isAuthError } from '../../src/errors.js'
import { createTokenManager, type TokenManagerOptions } from '../../src/manager/token-manager.js'
import { memoryStorage } from '../../src/storage/memory.js'
import type {
  CoordinatorMessage,
  RefreshCoordinator,
  RefreshFunction,
  StoredTokens,
  TokenStorage,
} from '../../src/types.js'

const START = Date.UTC(2026, 0, 1)

/** A refresh function for a rotating backend that counts its calls. */
function rotatingBackend(): { calls: string[]; issued: number; refresh: RefreshFunction } {
  const backend: { calls: string[]; issued: number; refresh: RefreshFunction } = {
    calls: [],
    issued: 0,
    refresh: (async (refreshToken: string) => {
      backend.calls.push(refreshToken)
      backend.issued += 1
      return {
        accessToken: `at-${backend.issued}`,
        refreshToken: `rt-${backend.issued}`,
        expiresIn: 60,
        refreshExpiresIn: 3600,
      }
    }) as RefreshFunction,
  }
  return backend
}

const httpError = (status: number, error: string) =>
  Object.assign(new Error(`status ${status}`), { response: { status, data: { error } } })

/** Tabs of one origin: one lock, one broadcast channel (a tab never hears itself). */
function tabs() {
  const listeners = new Set<(message: CoordinatorMessage) => void>()
  let lock: Promise<void> = Promise.resolve()
  return (): RefreshCoordinator & { published: CoordinatorMessage[] } => {
    const own = new Set<(message: CoordinatorMessage) => void>()
    const published: CoordinatorMessage[] = []
    return {
      published,
      async withRefreshLock(task) {
        const previous = lock
        let release = () => {}
        lock = new Promise((resolve) => {
          release = resolve
        })
        await previous
        try {
          return await task()
        } finally {
          release()
        }
      },
      publish(message) {
        published.push(message)
        for (const listener of listeners) if (!own.has(listener)) listener(message)
      },
      subscribe(listener) {
        listeners.add(listener)
        own.add(listener)
        return () => {
          listeners.delete(listener)
          own.delete(listener)
        }
      },
      close() {},
    }
  }
}

function manager(options: Partial<TokenManagerOptions> & Pick<TokenManagerOptions, 'refresh'>) {
  let now = START
  const instance = createTokenManager({ now: () => now, backoff: { initialMs: 0 }, ...options })
  const events = { tokens: [] as (StoredTokens | null)[], logout: 0, sessionExpired: 0 }
  instance.on('tokens', (tokens) => events.tokens.push(tokens))
  instance.on('logout', () => {
    events.logout += 1
  })
  instance.on('sessionExpired', () => {
    events.sessionExpired += 1
  })
  return {
    instance,
    events,
    advance(ms: number) {
      now += ms
    },
  }
}

const login = { accessToken: 'at-0', refreshToken: 'rt-0', expiresIn: 60, refreshExpiresIn: 3600 }

describe('createTokenManager', () => {
  it('computes expiry on the local clock at receipt', async () => {
    const backend = rotatingBackend()
    const tab = manager({ refresh: backend.refresh })
    expect(await tab.instance.setTokens(login)).toEqual({
      accessToken: 'at-0',
      refreshToken: 'rt-0',
      expiresAt: START + 60_000,
      issuedAt: START,
      refreshExpiresAt: START + 3_600_000,
    })
    tab.advance(45_000)
    expect(await tab.instance.getAccessToken()).toBe('at-1')
    expect(await tab.instance.getTokens()).toMatchObject({
      expiresAt: START + 45_000 + 60_000,
      refreshExpiresAt: START + 45_000 + 3_600_000,
    })
  })

  it('keeps the refresh token and its expiry when a backend does not rotate', async () => {
    const tab = manager({ refresh: async () => ({ accessToken: 'next', expiresIn: 60 }) })
    await tab.instance.setTokens(login)
    expect(await tab.instance.refresh()).toEqual({
      accessToken: 'next',
      refreshToken: 'rt-0',
      expiresAt: START + 60_000,
      issuedAt: START,
      refreshExpiresAt: START + 3_600_000,
    })
  })

  it('turns a malformed refresh answer into a retryable error and keeps the tokens', async () => {
    const tab = manager({ refresh: async () => ({ token: 'x' }) as never })
    const stored = await tab.instance.setTokens(login)
    const error = await tab.instance.refresh().catch((e: unknown) => e)
    expect(isAuthError(error) && [error.code, error.retryable]).toEqual(['internal_error', true])
    expect(await tab.instance.getTokens()).toEqual(stored)
  })

  it('stores the rotated tokens before releasing any waiter', async () => {
    const inner = memoryStorage()
    const order: string[] = []
    const storage: TokenStorage = {
      get: () => inner.get(),
      remove: () => inner.remove(),
      async set(tokens) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        await inner.set(tokens)
        order.push(`stored ${tokens.refreshToken}`)
      },
    }
    const backend = rotatingBackend()
    const tab = manager({ refresh: backend.refresh, storage })
    await tab.instance.setTokens(login)
    await Promise.all(
      [1, 2, 3].map((i) => tab.instance.refresh().then(() => order.push(`released ${i}`))),
    )
    expect(order).toEqual(['stored rt-0', 'stored rt-1', 'released 1', 'released 2', 'released 3'])
    expect(backend.calls).toEqual(['rt-0'])
  })

  it('is not undone by a refresh that was on the wire during a logout', async () => {
    let answer = () => {}
    const tab = manager({
      refresh: () =>
        new Promise((resolve) => {
          answer = () => resolve({ accessToken: 'late', refreshToken: 'late', expiresIn: 60 })
        }),
    })
    await tab.instance.setTokens(login)
    const refreshing = tab.instance.refresh().catch((e: unknown) => e)
    await new Promise((resolve) => setTimeout(resolve, 0))
    await tab.instance.clear()
    answer()
    const error = await refreshing
    expect(isAuthError(error) && error.code).toBe('session_expired')
    expect(await tab.instance.getTokens()).toBeNull()
    expect([tab.events.logout, tab.events.sessionExpired]).toEqual([1, 0])
  })

  it('by default gives a refresh 5 s, retries it once at once, and gives up after 2 × 5 s', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const started: number[] = []
      const tab = manager({
        refresh: () => {
          started.push(Date.now())
          return new Promise(() => {})
        },
      })
      await tab.instance.setTokens(login)
      const outcome = tab.instance.refresh().catch((e: unknown) => e)
      const t0 = Date.now()
      await vi.advanceTimersByTimeAsync(4_999)
      expect(started.map((at) => at - t0)).toEqual([0])
      await vi.advanceTimersByTimeAsync(1)
      expect(started.map((at) => at - t0)).toEqual([0, 5_000])
      await vi.advanceTimersByTimeAsync(5_000)
      const error = await outcome
      expect(isAuthError(error) && error.code).toBe('refresh_timeout')
      expect(started).toHaveLength(2)
    } finally {
      vi.useRealTimers()
    }
  })

  it('skips the immediate retry when another tab stored a successor meanwhile, and adopts it', async () => {
    const storage = memoryStorage()
    const calls: string[] = []
    const tab = manager({
      storage,
      refreshTimeoutMs: 20,
      refresh: async (refreshToken) => {
        calls.push(refreshToken)
        // Another tab sharing the storage finishes its refresh while this answer is lost.
        await storage.set({
          ...login,
          refreshToken: 'rt-other',
          expiresAt: START + 60_000,
          refreshExpiresAt: START + 3_600_000,
        })
        return new Promise(() => {})
      },
    })
    await tab.instance.setTokens(login)
    const tokens = await tab.instance.refresh()
    expect(calls).toEqual(['rt-0'])
    expect(tokens.refreshToken).toBe('rt-other')
    expect(tab.events.sessionExpired).toBe(0)
  })

  it('aborts the refresh function on timeout and rejects with refresh_timeout', async () => {
    let signal: AbortSignal | undefined
    const tab = manager({
      refreshTimeoutMs: 20,
      refresh: (_, context) => {
        signal = context.signal
        return new Promise(() => {})
      },
    })
    await tab.instance.setTokens(login)
    const error = await tab.instance.refresh().catch((e: unknown) => e)
    expect(isAuthError(error) && [error.code, error.retryable]).toEqual(['refresh_timeout', true])
    expect(signal?.aborted).toBe(true)
  })

  it('never returns a token that a refresh replaced while storage was being read', async () => {
    const memory = memoryStorage()
    // The next read takes its value at once and answers only when released.
    const gate = { holdNext: false, release: () => {} }
    const storage: TokenStorage = {
      ...memory,
      async get() {
        const value = await memory.get()
        if (gate.holdNext) {
          gate.holdNext = false
          await new Promise<void>((resolve) => {
            gate.release = resolve
          })
        }
        return value
      },
    }
    const backend = rotatingBackend()
    const tab = manager({ refresh: backend.refresh, storage })
    await tab.instance.setTokens(login)
    gate.holdNext = true
    const token = tab.instance.getAccessToken()
    // While that read holds at-0, a refresh starts and ends: at-1 replaces it.
    expect((await tab.instance.refresh()).accessToken).toBe('at-1')
    gate.release()
    expect(await token).toBe('at-1')
    expect(backend.calls).toEqual(['rt-0'])
  })

  it('does not refresh a superseded token again', async () => {
    const backend = rotatingBackend()
    const tab = manager({ refresh: backend.refresh })
    await tab.instance.setTokens(login)
    const fresh = await tab.instance.refresh({ staleAccessToken: 'at-0' })
    expect(await tab.instance.refresh({ staleAccessToken: 'at-0' })).toEqual(fresh)
    expect(backend.calls).toEqual(['rt-0'])
  })

  it('rejects with session_expired, without announcing it again, when signed out', async () => {
    const tab = manager({ refresh: rotatingBackend().refresh })
    const error = await tab.instance.refresh().catch((e: unknown) => e)
    expect(isAuthError(error) && error.code).toBe('session_expired')
    expect(tab.events.sessionExpired).toBe(0)
  })

  it('stops delivering an event after unsubscribe', async () => {
    const tab = manager({ refresh: rotatingBackend().refresh })
    const seen: unknown[] = []
    const off = tab.instance.on('tokens', (tokens) => seen.push(tokens))
    await tab.instance.setTokens(login)
    off()
    await tab.instance.clear()
    expect(seen).toHaveLength(1)
  })

  it('names the bad option in a TypeError', () => {
    const refresh = rotatingBackend().refresh
    expect(() => createTokenManager({} as TokenManagerOptions)).toThrow(/`refresh`/)
    expect(() => createTokenManager({ refresh, storage: {} as TokenStorage })).toThrow(/`storage`/)
    expect(() => createTokenManager({ refresh, leewaySeconds: Number.NaN })).toThrow(
      /`leewaySeconds`/,
    )
    expect(() => createTokenManager({ refresh, refreshTimeoutMs: -5 })).toThrow(
      /`refreshTimeoutMs`/,
    )
    expect(() => createTokenManager({ refresh, backoff: { maxMs: -1 } })).toThrow(/`backoff`/)
    expect(() => createTokenManager({ refresh, now: 3 as never })).toThrow(/`now`/)
  })
})

describe('across tabs, through the coordinator seam', () => {
  it('refreshes once for two tabs: the second re-reads storage under the lock and adopts', async () => {
    const storage = memoryStorage()
    const coordinator = tabs()
    const backend = rotatingBackend()
    const a = manager({ refresh: backend.refresh, storage, coordinator: coordinator() })
    const b = manager({ refresh: backend.refresh, storage, coordinator: coordinator() })
    await a.instance.setTokens(login)
    a.advance(60_000)
    b.advance(60_000)
    const [tokenA, tokenB] = await Promise.all([
      a.instance.getAccessToken(),
      b.instance.getAccessToken(),
    ])
    expect([tokenA, tokenB]).toEqual(['at-1', 'at-1'])
    expect(backend.calls).toEqual(['rt-0'])
    expect(b.events.tokens.at(-1)).toMatchObject({ refreshToken: 'rt-1' })
  })

  it('a tab that waited for the lock adopts tokens that reach it after the lock does, instead of refreshing again', async () => {
    // Shared storage whose writes reach the other tab 60 ms late, as another renderer's
    // localStorage write can on a loaded machine; the server holds the refresh a while.
    const shared = memoryStorage()
    let visible: StoredTokens | null = null
    const lagging = (writer: boolean): TokenStorage => ({
      get: async () => (writer ? shared.get() : visible),
      set: async (tokens) => {
        await shared.set(tokens)
        if (writer) setTimeout(() => (visible = tokens), 60)
        else visible = tokens
      },
      remove: async () => {
        await shared.remove()
        visible = null
      },
    })
    const coordinator = tabs()
    const backend = rotatingBackend()
    const slow: RefreshFunction = async (refreshToken, context) => {
      await new Promise((resolve) => setTimeout(resolve, 50))
      return backend.refresh(refreshToken, context)
    }
    const a = manager({ refresh: slow, storage: lagging(true), coordinator: coordinator() })
    const b = manager({ refresh: slow, storage: lagging(false), coordinator: coordinator() })
    await b.instance.setTokens(login)
    await a.instance.setTokens(login)
    a.advance(60_000)
    b.advance(60_000)
    const first = a.instance.getAccessToken()
    // B asks once A holds the lock, so it waits for A's whole refresh.
    await new Promise((resolve) => setTimeout(resolve, 5))
    const [tokenA, tokenB] = await Promise.all([first, b.instance.getAccessToken()])
    expect(backend.calls).toEqual(['rt-0'])
    expect([tokenA, tokenB]).toEqual(['at-1', 'at-1'])
  })

  it('tells the other tabs about new tokens, which re-read storage', async () => {
    const storage = memoryStorage()
    const coordinator = tabs()
    const backend = rotatingBackend()
    const a = manager({ refresh: backend.refresh, storage, coordinator: coordinator() })
    const b = manager({ refresh: backend.refresh, storage, coordinator: coordinator() })
    await a.instance.setTokens(login)
    await a.instance.refresh()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(b.events.tokens.map((tokens) => tokens?.refreshToken)).toEqual(['rt-0', 'rt-1'])
  })

  it('carries a logout to every tab; the receivers do not publish it again', async () => {
    const coordinator = tabs()
    const storage = memoryStorage()
    const coordinatorB = coordinator()
    const a = manager({ refresh: rotatingBackend().refresh, storage, coordinator: coordinator() })
    const b = manager({ refresh: rotatingBackend().refresh, storage, coordinator: coordinatorB })
    await a.instance.setTokens(login)
    await a.instance.clear()
    expect([a.events.logout, b.events.logout]).toEqual([1, 1])
    expect(b.events.tokens.at(-1)).toBeNull()
    expect(coordinatorB.published).toEqual([])
  })

  it('carries a session expiry to every tab', async () => {
    const coordinator = tabs()
    const storage = memoryStorage()
    const coordinatorA = coordinator()
    const a = manager({
      refresh: async () => {
        throw httpError(401, 'invalid_refresh_token')
      },
      storage,
      coordinator: coordinatorA,
    })
    const b = manager({ refresh: rotatingBackend().refresh, storage, coordinator: coordinator() })
    await a.instance.setTokens(login)
    const error = await a.instance.refresh().catch((e: unknown) => e)
    expect(isAuthError(error) && error.code).toBe('session_expired')
    expect([a.events.sessionExpired, b.events.sessionExpired]).toEqual([1, 1])
    expect(coordinatorA.published.at(-1)).toEqual({ type: 'sessionExpired' })
    expect(await storage.get()).toBeNull()
  })

  it('on refresh_token_reused, adopts a successor another tab stored instead of signing out', async () => {
    const storage = memoryStorage()
    const successor = {
      accessToken: 'at-b',
      refreshToken: 'rt-b',
      expiresAt: START + 60_000,
      refreshExpiresAt: START + 3_600_000,
    }
    const a = manager({
      storage,
      refresh: async () => {
        // Another tab, with no lock between them, rotated first and stored its successor.
        await storage.set(successor)
        throw httpError(401, 'refresh_token_reused')
      },
    })
    await a.instance.setTokens(login)
    expect(await a.instance.refresh()).toEqual(successor)
    expect(a.events.sessionExpired).toBe(0)
    expect(await storage.get()).toEqual(successor)
  })

  it('runs each refresh inside the lock', async () => {
    const coordinator = tabs()()
    let held = false
    const locking: RefreshCoordinator = {
      ...coordinator,
      async withRefreshLock(task) {
        held = true
        try {
          return await task()
        } finally {
          held = false
        }
      },
    }
    const during: boolean[] = []
    const tab = manager({
      coordinator: locking,
      refresh: async () => {
        during.push(held)
        return { accessToken: 'x', refreshToken: 'y', expiresIn: 60 }
      },
    })
    await tab.instance.setTokens(login)
    await tab.instance.refresh()
    expect(during).toEqual([true])
  })
})

/** A backend whose refresh token lives in a cookie the client never sees: it counts calls. */
interface CookieBackend {
  calls: string[]
  issued: number
  failWith: Error | null
  refresh: RefreshFunction
}

function cookieBackend(): CookieBackend {
  const backend: CookieBackend = {
    calls: [] as string[],
    issued: 0,
    /** When set, the next answers are this error instead. */
    failWith: null as Error | null,
    refresh: (async (refreshToken: string) => {
      backend.calls.push(refreshToken)
      if (backend.failWith !== null) throw backend.failWith
      backend.issued += 1
      return { accessToken: `at-${backend.issued}`, expiresIn: 60, refreshExpiresIn: 3600 }
    }) as RefreshFunction,
  }
  return backend
}

const cookieLogin = { accessToken: 'at-0', expiresIn: 60, refreshExpiresIn: 3600 }

describe('cookie transport', () => {
  it('stores the access token alone: no refresh token is ever written, and refresh is called without one', async () => {
    const backend = cookieBackend()
    const written: StoredTokens[] = []
    const inner = memoryStorage()
    const storage: TokenStorage = {
      get: () => inner.get(),
      set: async (tokens) => {
        written.push(tokens)
        await inner.set(tokens)
      },
      remove: () => inner.remove(),
    }
    const tab = manager({ refresh: backend.refresh, storage, refreshTokenTransport: 'cookie' })
    await tab.instance.setTokens(cookieLogin)
    tab.advance(45_000)
    expect(await tab.instance.getAccessToken()).toBe('at-1')
    expect(backend.calls).toEqual([''])
    expect(written.map((tokens) => tokens.refreshToken)).toEqual(['', ''])
    expect(written.at(-1)).toEqual({
      accessToken: 'at-1',
      refreshToken: '',
      issuedAt: START + 45_000,
      expiresAt: START + 45_000 + 60_000,
      refreshExpiresAt: START + 45_000 + 3_600_000,
    })
  })

  it('refuses an answer that carries a refresh token in its body, storing nothing', async () => {
    const tab = manager({ refresh: cookieBackend().refresh, refreshTokenTransport: 'cookie' })
    await expect(tab.instance.setTokens(login)).rejects.toThrow(
      /refresh token in the body, not the cookie/,
    )
    expect(await tab.instance.getTokens()).toBeNull()
  })

  it('restores the session on first use with one request for any number of callers', async () => {
    const backend = cookieBackend()
    const tab = manager({ refresh: backend.refresh, refreshTokenTransport: 'cookie' })
    const starts: string[] = []
    tab.instance.on('refresh', (event) => {
      if (event.phase === 'start') starts.push(event.trigger)
    })
    const tokens = await Promise.all([
      tab.instance.getAccessToken(),
      tab.instance.getAccessToken(),
      tab.instance.isAuthenticated(),
      tab.instance.restore(),
    ])
    expect(tokens.slice(0, 3)).toEqual(['at-1', 'at-1', true])
    expect(tokens[3]).toMatchObject({ accessToken: 'at-1', refreshToken: '' })
    expect(backend.calls).toEqual([''])
    expect(starts).toEqual(['restore'])
    // Restored once: later calls use the stored token.
    expect(await tab.instance.restore()).toMatchObject({ accessToken: 'at-1' })
    expect(backend.calls).toHaveLength(1)
  })

  it('restores to null without sessionExpired when there is no cookie session, and does not ask again', async () => {
    const backend = cookieBackend()
    backend.failWith = httpError(401, 'invalid_refresh_token')
    const tab = manager({ refresh: backend.refresh, refreshTokenTransport: 'cookie' })
    expect(await tab.instance.restore()).toBeNull()
    expect(await tab.instance.getAccessToken()).toBeNull()
    expect(await tab.instance.isAuthenticated()).toBe(false)
    await expect(tab.instance.refresh()).rejects.toMatchObject({ code: 'session_expired' })
    expect(backend.calls).toHaveLength(1)
    expect(tab.events.sessionExpired).toBe(0)
  })

  it('tries the restore again on the next use after a transient failure', async () => {
    const backend = cookieBackend()
    backend.failWith = httpError(503, 'service_unavailable')
    const tab = manager({ refresh: backend.refresh, refreshTokenTransport: 'cookie' })
    const failure = await tab.instance.restore().catch((error: unknown) => error)
    expect(isAuthError(failure) && failure.retryable).toBe(true)
    backend.failWith = null
    expect(await tab.instance.getAccessToken()).toBe('at-1')
    expect(backend.calls).toHaveLength(2)
  })

  it('in body mode, restore reads storage and sends nothing', async () => {
    const backend = rotatingBackend()
    const tab = manager({ refresh: backend.refresh })
    expect(await tab.instance.restore()).toBeNull()
    await tab.instance.setTokens(login)
    expect(await tab.instance.restore()).toMatchObject({ refreshToken: 'rt-0' })
    expect(backend.calls).toEqual([])
  })

  it('two tabs, each with its own memory: one refresh reaches the server and both use its token', async () => {
    const coordinator = tabs()
    const backend = cookieBackend()
    const a = manager({
      refresh: backend.refresh,
      refreshTokenTransport: 'cookie',
      coordinator: coordinator(),
    })
    const b = manager({
      refresh: backend.refresh,
      refreshTokenTransport: 'cookie',
      coordinator: coordinator(),
    })
    await a.instance.setTokens(cookieLogin)
    // B heard of the login: its own memory holds the access token now.
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(await b.instance.getTokens()).toMatchObject({ accessToken: 'at-0', refreshToken: '' })
    a.advance(60_000)
    b.advance(60_000)
    const tokens = await Promise.all([a.instance.getAccessToken(), b.instance.getAccessToken()])
    expect(tokens).toEqual(['at-1', 'at-1'])
    expect(backend.calls).toEqual([''])
  })

  it('a logout in one tab clears the memory of the others', async () => {
    const coordinator = tabs()
    const backend = cookieBackend()
    const a = manager({
      refresh: backend.refresh,
      refreshTokenTransport: 'cookie',
      coordinator: coordinator(),
    })
    const b = manager({
      refresh: backend.refresh,
      refreshTokenTransport: 'cookie',
      coordinator: coordinator(),
    })
    await a.instance.setTokens(cookieLogin)
    await new Promise((resolve) => setTimeout(resolve, 0))
    await a.instance.clear()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(await b.instance.getTokens()).toBeNull()
    expect(b.events.logout).toBe(1)
    // Signed out: no restore is attempted behind the user's back.
    expect(await b.instance.getAccessToken()).toBeNull()
    expect(backend.calls).toEqual([])
  })

  it('refuses an unknown transport at construction', () => {
    expect(() =>
      createTokenManager({
        refresh: cookieBackend().refresh,
        refreshTokenTransport: 'header' as never,
      }),
    ).toThrow(/`refreshTokenTransport`/)
  })
})

describe('wake-up refresh', () => {
  /** A page: `document` with a visibility state, and the window's `online` event. */
  function page() {
    const document = Object.assign(new EventTarget(), { visibilityState: 'hidden' })
    const window = new EventTarget()
    vi.stubGlobal('document', document)
    vi.stubGlobal('addEventListener', window.addEventListener.bind(window))
    vi.stubGlobal('removeEventListener', window.removeEventListener.bind(window))
    return {
      show() {
        document.visibilityState = 'visible'
        document.dispatchEvent(new Event('visibilitychange'))
      },
      hide() {
        document.visibilityState = 'hidden'
        document.dispatchEvent(new Event('visibilitychange'))
      },
      online: () => window.dispatchEvent(new Event('online')),
    }
  }
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('refreshes inside the leeway when the tab becomes visible, before any request', async () => {
    const tab = page()
    const backend = rotatingBackend()
    const { instance, advance } = manager({ refresh: backend.refresh })
    await instance.setTokens(login)
    advance(40_000) // 20 s left: inside the 30 s leeway, as after a laptop sleep
    tab.hide()
    await instance.settled()
    expect(backend.calls).toEqual([])
    tab.show()
    await vi.waitFor(() => expect(backend.calls).toEqual(['rt-0']))
    await instance.settled()
    expect((await instance.getTokens())?.accessToken).toBe('at-1')
    // A token outside the leeway is left alone: waking up costs nothing then.
    tab.show()
    await instance.settled()
    expect(backend.calls).toEqual(['rt-0'])
  })

  it('refreshes when the device comes back online, and stops listening once closed', async () => {
    const tab = page()
    tab.show()
    const backend = rotatingBackend()
    const { instance, advance } = manager({ refresh: backend.refresh })
    await instance.setTokens(login)
    advance(40_000)
    tab.online()
    await vi.waitFor(() => expect(backend.calls).toHaveLength(1))
    await instance.settled()
    advance(40_000)
    instance.close()
    tab.online()
    tab.show()
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(backend.calls).toHaveLength(1)
  })

  it('does not listen when refreshOnWake is false', async () => {
    const tab = page()
    const backend = rotatingBackend()
    const { instance, advance } = manager({ refresh: backend.refresh, refreshOnWake: false })
    await instance.setTokens(login)
    advance(40_000)
    tab.show()
    tab.online()
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(backend.calls).toEqual([])
  })
})

describe('leeway', () => {
  it('never exceeds half the lifetime of the token', async () => {
    const backend = rotatingBackend()
    const { instance, advance } = manager({ refresh: backend.refresh, leewaySeconds: 300 })
    await instance.setTokens(login) // lives 60 s
    advance(29_000)
    expect(await instance.getAccessToken()).toBe('at-0')
    advance(2_000)
    expect(await instance.getAccessToken()).toBe('at-1')
    expect(backend.calls).toEqual(['rt-0'])
  })
})
