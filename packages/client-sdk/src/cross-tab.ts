import type { CoordinatorMessage, RefreshCoordinator } from './types.js'

/** The part of the Web Locks API the coordinator uses (`navigator.locks`). */
export type LockRequester = Pick<LockManager, 'request'>

/** The part of `window` the `storage`-event fallback uses. */
export interface StorageEventSource {
  addEventListener(type: 'storage', listener: (event: StorageEvent) => void): void
  removeEventListener(type: 'storage', listener: (event: StorageEvent) => void): void
}

/** Options of {@link browserCoordinator}. Every one is optional. */
export interface BrowserCoordinatorOptions {
  /** Name of the Web Lock, of the BroadcastChannel and (with a suffix) of the fallback storage key; tabs sharing it share refreshes. @default 'refresh-kit' */
  name?: string
  /** How long a tab waits for the lock before refreshing without it (the server's reuse grace keeps that safe). @default 20000 */
  acquireTimeoutMs?: number
  /** How long a tab may hold the lock while its refresh runs; a hung refresh releases it then. @default 15000 */
  holdTimeoutMs?: number
  /** The Web Locks API; `null` to do without. @default globalThis.navigator?.locks */
  locks?: LockRequester | null
  /** The BroadcastChannel constructor; `null` to use the `storage`-event fallback. @default globalThis.BroadcastChannel */
  BroadcastChannel?: typeof BroadcastChannel | null
  /** Storage the fallback writes its messages to; `null` to do without. @default globalThis.localStorage */
  storage?: Pick<Storage, 'setItem'> | null
  /** Where the fallback listens for `storage` events. @default globalThis (the window) */
  events?: StorageEventSource | null
}

const TYPES = ['tokens', 'logout', 'sessionExpired']

function message(value: unknown): CoordinatorMessage | undefined {
  const type = (value as { type?: unknown } | null)?.type
  return typeof type === 'string' && TYPES.includes(type)
    ? ({ type } as CoordinatorMessage)
    : undefined
}

function timeout(value: number | undefined, fallback: number, option: string): number {
  const ms = value ?? fallback
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new TypeError(
      `browserCoordinator: option \`${option}\` must be a positive number of milliseconds`,
    )
  }
  return ms
}

/**
 * A {@link RefreshCoordinator} for the tabs of one browser origin: one tab refreshes while
 * holding a Web Lock, the others wait, re-read storage and adopt its tokens; logout and
 * session expiry reach every tab over a BroadcastChannel, or over `storage` events where
 * BroadcastChannel is missing. Without Web Locks, tabs refresh without a lock: the server's
 * reuse grace gives concurrent refreshes of one token the same successor.
 *
 * @example
 * ```ts
 * const auth = createAuthClient({
 *   baseURL: 'https://api.example.com',
 *   storage: localStorageStorage(),
 *   coordinator: browserCoordinator(),
 * })
 * ```
 */
export function browserCoordinator(options: BrowserCoordinatorOptions = {}): RefreshCoordinator {
  const g = globalThis as Partial<typeof globalThis>
  const name = options.name ?? 'refresh-kit'
  if (typeof name !== 'string' || name === '') {
    throw new TypeError('browserCoordinator: option `name` must be a non-empty string')
  }
  const acquireTimeoutMs = timeout(options.acquireTimeoutMs, 20_000, 'acquireTimeoutMs')
  const holdTimeoutMs = timeout(options.holdTimeoutMs, 15_000, 'holdTimeoutMs')
  const locks = options.locks === undefined ? g.navigator?.locks : options.locks
  const Channel =
    options.BroadcastChannel === undefined ? g.BroadcastChannel : options.BroadcastChannel
  const storage = options.storage === undefined ? g.localStorage : options.storage
  const events = options.events === undefined ? (g as StorageEventSource) : options.events
  const key = `${name}.message`
  const channel = Channel ? new Channel(name) : undefined
  const cleanups = new Set<() => void>()

  return {
    async withRefreshLock<T>(task: () => Promise<T>): Promise<T> {
      if (!locks) return task()
      let run: Promise<T> | undefined
      try {
        await locks.request(name, { signal: AbortSignal.timeout(acquireTimeoutMs) }, () => {
          run = Promise.resolve().then(task)
          // Released when the refresh settles, or after the hold timeout if it hangs.
          return new Promise<void>((release) => {
            const timer = setTimeout(release, holdTimeoutMs)
            const done = () => {
              clearTimeout(timer)
              release()
            }
            ;(run as Promise<T>).then(done, done)
          })
        })
      } catch {
        // Not granted in time (or locks refused here): refresh unlocked rather than never.
        if (run === undefined) return task()
      }
      return run as Promise<T>
    },

    publish(msg: CoordinatorMessage): void {
      if (channel) channel.postMessage({ type: msg.type })
      // A nonce, because a `storage` event fires only when the value changes.
      else storage?.setItem(key, JSON.stringify({ type: msg.type, nonce: Math.random() }))
    },

    subscribe(listener: (msg: CoordinatorMessage) => void): () => void {
      const deliver = (value: unknown) => {
        const msg = message(value)
        if (msg) listener(msg)
      }
      let off: () => void
      if (channel) {
        const onMessage = (event: MessageEvent) => deliver(event.data)
        channel.addEventListener('message', onMessage)
        off = () => channel.removeEventListener('message', onMessage)
      } else if (events) {
        const onStorage = (event: StorageEvent) => {
          if (event.key !== key || !event.newValue) return
          try {
            deliver(JSON.parse(event.newValue))
          } catch {
            // Not ours to read: ignore it.
          }
        }
        events.addEventListener('storage', onStorage)
        off = () => events.removeEventListener('storage', onStorage)
      } else {
        off = () => {}
      }
      cleanups.add(off)
      return () => {
        cleanups.delete(off)
        off()
      }
    },

    close(): void {
      for (const off of cleanups) off()
      cleanups.clear()
      channel?.close()
    },
  }
}
