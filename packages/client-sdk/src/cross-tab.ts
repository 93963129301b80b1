import { DEFAULT_LOCK_ACQUIRE_TIMEOUT_MS, DEFAULT_LOCK_HOLD_TIMEOUT_MS } from '@refresh-kit/shared'
import type { CoordinatorMessage, RefreshCoordinator, StoredTokens } from './types.js'

/** The part of the Web Locks API the coordinator uses (`navigator.locks`). */
export type LockRequester = Pick<LockManager, 'request'>

/** The part of `window` the `storage`-event fallback uses. */
export interface StorageEventSource {
  addEventListener(type: string, listener: (event: Event) => void): void
  removeEventListener(type: string, listener: (event: Event) => void): void
}

/** Options of {@link browserCoordinator}. Every one is optional. */
export interface BrowserCoordinatorOptions {
  /** Name of the Web Lock, of the BroadcastChannel and (with a suffix) of the fallback storage key; tabs sharing it share refreshes. @default 'refresh-kit' */
  name?: string
  /** How long a tab waits for the lock before refreshing without it (the server's reuse grace keeps that safe); longer than `holdTimeoutMs`, so waiting tabs normally get the lock. @default 20000 */
  acquireTimeoutMs?: number
  /**
   * How long a tab may hold the lock while its refresh runs; a hung refresh releases it then.
   * It covers a refresh and its immediate retry (2 × the 5 s refresh timeout), and a tab that
   * takes over after it reaches the server, its own retry included, within 15 s + 2 × 5 s =
   * 25 s of the holder's rotation, inside the server's default 30 s reuse grace window. Keep it
   * above twice the refresh timeout, and it plus twice the refresh timeout below the server's
   * `REFRESH_REUSE_GRACE`.
   * @default 15000
   */
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

const TYPES: readonly unknown[] = ['tokens', 'logout', 'sessionExpired']

// What another tab sent as tokens, checked: a message is data from outside this tab.
function tokensOf(value: unknown): StoredTokens | undefined {
  const tokens = value as Partial<StoredTokens> | null | undefined
  return typeof tokens?.accessToken === 'string' &&
    typeof tokens.refreshToken === 'string' &&
    typeof tokens.expiresAt === 'number' &&
    typeof tokens.refreshExpiresAt === 'number'
    ? {
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        expiresAt: tokens.expiresAt,
        refreshExpiresAt: tokens.refreshExpiresAt,
      }
    : undefined
}

function check(ok: boolean, option: string, expected: string): void {
  if (!ok) throw new TypeError(`browserCoordinator: option \`${option}\` must be ${expected}`)
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
  const acquireTimeoutMs = options.acquireTimeoutMs ?? DEFAULT_LOCK_ACQUIRE_TIMEOUT_MS
  const holdTimeoutMs = options.holdTimeoutMs ?? DEFAULT_LOCK_HOLD_TIMEOUT_MS
  check(typeof name === 'string' && name !== '', 'name', 'a non-empty string')
  check(acquireTimeoutMs > 0, 'acquireTimeoutMs', 'a positive number of milliseconds')
  check(holdTimeoutMs > 0, 'holdTimeoutMs', 'a positive number of milliseconds')
  const locks = options.locks === undefined ? g.navigator?.locks : options.locks
  const Channel =
    options.BroadcastChannel === undefined ? g.BroadcastChannel : options.BroadcastChannel
  const storage = options.storage === undefined ? g.localStorage : options.storage
  const channel = Channel ? new Channel(name) : undefined
  // Messages travel over the channel, or else as `storage` events of a key of their own.
  const source =
    channel ?? (options.events === undefined ? (g as StorageEventSource) : options.events)
  const type = channel ? 'message' : 'storage'
  const key = `${name}.message`
  const cleanups = new Set<() => void>()

  return {
    async withRefreshLock<T>(task: () => Promise<T>): Promise<T> {
      let run: Promise<T> | undefined
      try {
        await locks?.request(name, { signal: AbortSignal.timeout(acquireTimeoutMs) }, () => {
          const started = Promise.resolve().then(task)
          run = started
          // Released when the refresh settles, or after the hold timeout if it hangs.
          return new Promise<void>((release) => {
            const timer = setTimeout(release, holdTimeoutMs)
            const done = () => {
              clearTimeout(timer)
              release()
            }
            started.then(done, done)
          })
        })
      } catch {
        // Not granted in time, or refused here: below, the refresh runs unlocked rather than never.
      }
      return run ?? task()
    },

    publish(message: CoordinatorMessage): void {
      // Telling the other tabs is best effort: a closed channel or a full storage must never
      // fail the refresh or the logout that is being announced.
      try {
        // Tokens travel over the channel only, never through the storage fallback: that would
        // write them where they outlive the tab.
        if (channel) channel.postMessage(message)
        // A nonce, because a `storage` event fires only when the value changes.
        else storage?.setItem(key, JSON.stringify({ type: message.type, nonce: Math.random() }))
      } catch {}
    },

    subscribe(listener: (message: CoordinatorMessage) => void): () => void {
      const on = (event: Event) => {
        let data = (event as MessageEvent).data as unknown
        if (!channel) {
          const { key: changed, newValue } = event as StorageEvent
          if (changed !== key) return
          try {
            data = JSON.parse(newValue ?? 'null')
          } catch {
            return
          }
        }
        const kind = (data as { type?: unknown } | null)?.type
        if (!TYPES.includes(kind)) return
        const tokens = channel ? tokensOf((data as { tokens?: unknown }).tokens) : undefined
        listener(
          (kind === 'tokens' && tokens !== undefined
            ? { type: kind, tokens }
            : { type: kind }) as CoordinatorMessage,
        )
      }
      source?.addEventListener(type, on)
      const off = () => source?.removeEventListener(type, on)
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
