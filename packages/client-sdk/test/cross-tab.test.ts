import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  browserCoordinator,
  type LockRequester,
  type StorageEventSource,
} from '../src/cross-tab.js'
import type { CoordinatorMessage, RefreshCoordinator } from '../src/types.js'

/**
 * A minimal exclusive Web Locks manager shared by the "tabs" of one test, as
 * `navigator.locks` is shared by the tabs of one origin: requests wait in order, and an
 * `AbortSignal` withdraws a request that has not been granted yet.
 */
function fakeLocks() {
  const queues = new Map<string, Array<() => void>>()
  const held = new Set<string>()
  let granted = 0
  const next = (name: string) => {
    const grant = queues.get(name)?.shift()
    if (grant) grant()
    else held.delete(name)
  }
  const request = (
    name: string,
    options: { signal?: AbortSignal },
    callback: () => Promise<unknown>,
  ): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const run = () => {
        granted++
        held.add(name)
        Promise.resolve()
          .then(callback)
          .then(resolve, reject)
          .finally(() => next(name))
      }
      if (!held.has(name)) return run()
      const queue = queues.get(name) ?? []
      queues.set(name, queue)
      queue.push(run)
      options.signal?.addEventListener('abort', () => {
        const index = queue.indexOf(run)
        if (index === -1) return
        queue.splice(index, 1)
        reject(options.signal?.reason)
      })
    })
  return {
    locks: { request } as unknown as LockRequester,
    isHeld: (name: string) => held.has(name),
    grants: () => granted,
  }
}

function deferred<T = void>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Waits until `check` holds, polling; the bound is generous, never an assertion on speed. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const opened: RefreshCoordinator[] = []
function tab(options: Parameters<typeof browserCoordinator>[0] = {}): RefreshCoordinator {
  const coordinator = browserCoordinator({ storage: null, events: null, ...options })
  opened.push(coordinator)
  return coordinator
}
afterEach(() => {
  for (const coordinator of opened.splice(0)) coordinator.close()
})

describe('browserCoordinator: the refresh lock', () => {
  it('runs the refreshes of two tabs one after the other, never together', async () => {
    const { locks } = fakeLocks()
    const a = tab({ locks, name: 'app' })
    const b = tab({ locks, name: 'app' })
    const first = deferred<string>()
    const log: string[] = []

    const ran = a.withRefreshLock(async () => {
      log.push('a start')
      const value = await first.promise
      log.push('a end')
      return value
    })
    const waited = b.withRefreshLock(async () => {
      log.push('b start')
      return 'b'
    })
    await until(() => log.length === 1, 'the first refresh to start')
    expect(log).toEqual(['a start'])
    first.resolve('a')

    await expect(ran).resolves.toBe('a')
    await expect(waited).resolves.toBe('b')
    expect(log).toEqual(['a start', 'a end', 'b start'])
  })

  it('passes the refresh error to its caller and releases the lock for the next tab', async () => {
    const fake = fakeLocks()
    const a = tab({ locks: fake.locks })
    const b = tab({ locks: fake.locks })

    await expect(
      a.withRefreshLock(async () => {
        throw new Error('refresh failed')
      }),
    ).rejects.toThrow('refresh failed')
    await expect(b.withRefreshLock(async () => 'next')).resolves.toBe('next')
    expect(fake.isHeld('refresh-kit')).toBe(false)
  })

  it('releases the lock after the hold timeout when a refresh hangs, so a stuck tab never blocks the rest', async () => {
    const fake = fakeLocks()
    const stuck = deferred<string>()
    const a = tab({ locks: fake.locks, holdTimeoutMs: 50 })
    const b = tab({ locks: fake.locks })

    const hung = a.withRefreshLock(() => stuck.promise)
    await expect(b.withRefreshLock(async () => 'b refreshed')).resolves.toBe('b refreshed')
    expect(fake.grants()).toBe(2)

    // The hung caller still gets its own outcome when it finally settles.
    stuck.resolve('late')
    await expect(hung).resolves.toBe('late')
  })

  it('by default holds the lock through a refresh and its immediate retry (2 × 5 s) and lets go at 15 s', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const fake = fakeLocks()
      const stuck = deferred<string>()
      const hung = tab({ locks: fake.locks }).withRefreshLock(() => stuck.promise)
      await vi.advanceTimersByTimeAsync(14_900)
      expect(fake.isHeld('refresh-kit')).toBe(true)
      await vi.advanceTimersByTimeAsync(100)
      expect(fake.isHeld('refresh-kit')).toBe(false)
      stuck.resolve('late')
      await expect(hung).resolves.toBe('late')
    } finally {
      vi.useRealTimers()
    }
  })

  it('refreshes without the lock after the acquire timeout when the lock never comes free', async () => {
    const fake = fakeLocks()
    const never = deferred<void>()
    // An orphaned holder: a lock granted elsewhere and never released.
    void fake.locks.request('refresh-kit', {}, () => never.promise)
    const b = tab({ locks: fake.locks, acquireTimeoutMs: 50 })

    await expect(b.withRefreshLock(async () => 'unlocked')).resolves.toBe('unlocked')
    expect(fake.grants()).toBe(1)
    never.resolve()
  })

  it('runs the refresh directly where the Web Locks API is missing', async () => {
    const a = tab({ locks: null })
    await expect(a.withRefreshLock(async () => 42)).resolves.toBe(42)
  })

  it('runs the refresh unlocked when the lock request itself is refused', async () => {
    const refusing = {
      request: () => Promise.reject(new DOMException('opaque origin', 'SecurityError')),
    } as unknown as LockRequester
    const a = tab({ locks: refusing })
    await expect(a.withRefreshLock(async () => 'ran')).resolves.toBe('ran')
  })

  it('keeps tabs with different names independent', async () => {
    const fake = fakeLocks()
    const never = deferred<string>()
    const a = tab({ locks: fake.locks, name: 'one' })
    const b = tab({ locks: fake.locks, name: 'two' })
    void a.withRefreshLock(() => never.promise)
    await expect(b.withRefreshLock(async () => 'free')).resolves.toBe('free')
    never.resolve('done')
  })
})

describe('browserCoordinator: messages between tabs (BroadcastChannel)', () => {
  it('delivers what one tab publishes to the other tabs of the same name, not to itself', async () => {
    const a = tab({ name: 'bc-1', locks: null })
    const b = tab({ name: 'bc-1', locks: null })
    const c = tab({ name: 'bc-1', locks: null })
    const seenByA: CoordinatorMessage[] = []
    const seenByB: CoordinatorMessage[] = []
    const seenByC: CoordinatorMessage[] = []
    a.subscribe((message) => seenByA.push(message))
    b.subscribe((message) => seenByB.push(message))
    c.subscribe((message) => seenByC.push(message))

    a.publish({ type: 'tokens' })
    a.publish({ type: 'logout' })
    await until(() => seenByB.length === 2 && seenByC.length === 2, 'both tabs to hear')
    expect(seenByB).toEqual([{ type: 'tokens' }, { type: 'logout' }])
    expect(seenByC).toEqual([{ type: 'tokens' }, { type: 'logout' }])
    expect(seenByA).toEqual([])
  })

  it('carries the tokens of a tokens message over the channel, checked, and drops malformed ones', async () => {
    const a = tab({ name: 'bc-tokens', locks: null })
    const b = tab({ name: 'bc-tokens', locks: null })
    const seen: CoordinatorMessage[] = []
    b.subscribe((message) => seen.push(message))
    const tokens = { accessToken: 'at-1', refreshToken: '', expiresAt: 2, refreshExpiresAt: 3 }
    a.publish({ type: 'tokens', tokens })
    a.publish({ type: 'tokens', tokens: { accessToken: 42 } as never })
    await until(() => seen.length === 2, 'both messages')
    expect(seen).toEqual([{ type: 'tokens', tokens }, { type: 'tokens' }])
  })

  it('stops delivering after unsubscribe and after close', async () => {
    const a = tab({ name: 'bc-2', locks: null })
    const b = tab({ name: 'bc-2', locks: null })
    const c = tab({ name: 'bc-2', locks: null })
    const seenByB: CoordinatorMessage[] = []
    const seenByC: CoordinatorMessage[] = []
    const unsubscribe = b.subscribe((message) => seenByB.push(message))
    c.subscribe((message) => seenByC.push(message))

    a.publish({ type: 'tokens' })
    await until(() => seenByB.length === 1 && seenByC.length === 1, 'the first message')
    unsubscribe()
    c.close()
    a.publish({ type: 'sessionExpired' })
    // A fourth listener proves the second message was delivered before we look.
    const d = tab({ name: 'bc-2', locks: null })
    const seenByD: CoordinatorMessage[] = []
    d.subscribe((message) => seenByD.push(message))
    a.publish({ type: 'logout' })
    await until(() => seenByD.length === 1, 'the last message')
    expect(seenByB).toEqual([{ type: 'tokens' }])
    expect(seenByC).toEqual([{ type: 'tokens' }])
  })

  it('ignores messages that are not coordinator messages', async () => {
    const a = tab({ name: 'bc-3', locks: null })
    const seen: CoordinatorMessage[] = []
    a.subscribe((message) => seen.push(message))
    const stranger = new BroadcastChannel('bc-3')
    stranger.postMessage({ type: 'hello' })
    stranger.postMessage('tokens')
    stranger.postMessage(null)
    stranger.postMessage({ type: 'logout', extra: true })
    await until(() => seen.length === 1, 'the one valid message')
    stranger.close()
    expect(seen).toEqual([{ type: 'logout' }])
  })
})

describe('browserCoordinator: the storage-event fallback', () => {
  /** Two tabs sharing one localStorage: a write in one fires `storage` in the others. */
  function sharedStorage() {
    const tabs: EventTarget[] = []
    const values = new Map<string, string>()
    const open = () => {
      const events = new EventTarget()
      tabs.push(events)
      const storage = {
        setItem(key: string, value: string) {
          const oldValue = values.get(key) ?? null
          values.set(key, value)
          if (oldValue === value) return
          for (const other of tabs) {
            if (other === events) continue
            const event = Object.assign(new Event('storage'), { key, oldValue, newValue: value })
            other.dispatchEvent(event)
          }
        },
      }
      return { events: events as unknown as StorageEventSource, storage }
    }
    return { open, values }
  }

  it('delivers messages through storage events when BroadcastChannel is missing', () => {
    const shared = sharedStorage()
    const one = shared.open()
    const two = shared.open()
    const a = tab({ events: one.events, storage: one.storage, BroadcastChannel: null, locks: null })
    const b = tab({ events: two.events, storage: two.storage, BroadcastChannel: null, locks: null })
    const seen: CoordinatorMessage[] = []
    b.subscribe((message) => seen.push(message))

    a.publish({ type: 'tokens' })
    a.publish({ type: 'tokens' })
    a.publish({ type: 'sessionExpired' })
    expect(seen).toEqual([{ type: 'tokens' }, { type: 'tokens' }, { type: 'sessionExpired' }])
  })

  it('never writes tokens to storage: the fallback carries the message type alone', () => {
    const shared = sharedStorage()
    const one = shared.open()
    const two = shared.open()
    const a = tab({ events: one.events, storage: one.storage, BroadcastChannel: null, locks: null })
    const b = tab({ events: two.events, storage: two.storage, BroadcastChannel: null, locks: null })
    const seen: CoordinatorMessage[] = []
    b.subscribe((message) => seen.push(message))
    a.publish({
      type: 'tokens',
      tokens: { accessToken: 'at-secret', refreshToken: '', expiresAt: 2, refreshExpiresAt: 3 },
    })
    expect(seen).toEqual([{ type: 'tokens' }])
    expect(JSON.stringify([...shared.values])).not.toContain('at-secret')
  })

  it('ignores writes to other keys and values it cannot read', () => {
    const shared = sharedStorage()
    const one = shared.open()
    const two = shared.open()
    const b = tab({ events: two.events, storage: two.storage, BroadcastChannel: null, locks: null })
    const seen: CoordinatorMessage[] = []
    const unsubscribe = b.subscribe((message) => seen.push(message))

    one.storage.setItem('refresh-kit.tokens', '{"type":"logout"}')
    one.storage.setItem('refresh-kit.message', 'not json')
    one.storage.setItem('refresh-kit.message', '{"type":"unknown"}')
    expect(seen).toEqual([])
    one.storage.setItem('refresh-kit.message', '{"type":"logout","nonce":1}')
    expect(seen).toEqual([{ type: 'logout' }])
    unsubscribe()
    one.storage.setItem('refresh-kit.message', '{"type":"logout","nonce":2}')
    expect(seen).toHaveLength(1)
  })
})

describe('browserCoordinator: publishing is best effort', () => {
  it('never throws after close, so a refresh that ends later still completes', () => {
    const a = browserCoordinator({ name: 'bc-closed', locks: null })
    a.close()
    expect(() => a.publish({ type: 'tokens' })).not.toThrow()
  })

  it('never throws when the fallback storage refuses the write (full, or private mode)', () => {
    const full = {
      setItem() {
        throw new DOMException('quota exceeded', 'QuotaExceededError')
      },
    }
    const a = tab({ BroadcastChannel: null, storage: full, locks: null })
    expect(() => a.publish({ type: 'logout' })).not.toThrow()
  })
})

describe('browserCoordinator: options', () => {
  it.each([
    ['acquireTimeoutMs', { acquireTimeoutMs: 0 }],
    ['acquireTimeoutMs', { acquireTimeoutMs: Number.NaN }],
    ['holdTimeoutMs', { holdTimeoutMs: -1 }],
    ['name', { name: '' }],
  ])('rejects a bad %s with a TypeError naming it', (option, options) => {
    expect(() => browserCoordinator({ locks: null, ...options })).toThrow(
      new TypeError(
        option === 'name'
          ? 'browserCoordinator: option `name` must be a non-empty string'
          : `browserCoordinator: option \`${option}\` must be a positive number of milliseconds`,
      ),
    )
  })

  it('works in an environment with no browser APIs at all', async () => {
    const a = tab({ locks: null, BroadcastChannel: null, storage: null, events: null })
    const unsubscribe = a.subscribe(() => {})
    a.publish({ type: 'logout' })
    unsubscribe()
    await expect(a.withRefreshLock(async () => 'ok')).resolves.toBe('ok')
  })
})
