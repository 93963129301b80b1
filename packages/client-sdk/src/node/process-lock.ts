import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { lock } from 'proper-lockfile'
import type { LockRequester } from '../cross-tab.js'

/** Options of {@link processLocks}. */
export interface ProcessLockOptions {
  /** The lock itself: a directory created beside the tokens while a process holds it. */
  lockPath: string
  /**
   * A lock whose holder stopped refreshing its timestamp for this long is stale, and the next
   * process takes it over: a process killed while it held the lock blocks the others this long
   * at most. At least 2000 (the lock library's floor).
   * @default 10000
   */
  staleMs?: number
  /** How often a waiting process tries the lock again. @default 25 */
  pollMs?: number
}

/** The default of `staleMs`: well above a loaded machine's pauses, well below the acquire timeout. */
export const DEFAULT_STALE_MS = 10_000

const wait = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(done, ms)
    function done() {
      signal?.removeEventListener('abort', done)
      clearTimeout(timer)
      if (signal?.aborted) reject(signal.reason)
      else resolve()
    }
    signal?.addEventListener('abort', done)
  })

/**
 * The part of the Web Locks API the cross-tab coordinator uses, across the processes of one
 * machine: a lock file (`proper-lockfile`, which recovers a stale lock) instead of
 * `navigator.locks`. The coordinator's own acquire and hold timeouts apply on top of it.
 */
export function processLocks(options: ProcessLockOptions): LockRequester {
  const lockfilePath = options.lockPath
  const stale = options.staleMs ?? DEFAULT_STALE_MS
  const pollMs = options.pollMs ?? 25

  const acquire = async (signal: AbortSignal | undefined) => {
    for (;;) {
      signal?.throwIfAborted()
      try {
        return await lock(lockfilePath, {
          lockfilePath,
          realpath: false,
          stale,
          // A holder that the event loop kept from touching the lock in time lost it; its
          // refresh goes on regardless (the server's reuse grace covers a second one), so the
          // library's default of throwing from a timer, which would kill the process, is not wanted.
          onCompromised: () => {},
        })
      } catch (error) {
        const code = (error as { code?: unknown }).code
        if (code === 'ENOENT') {
          // The lock's directory (a cache directory, a token file's that is not written yet).
          await mkdir(dirname(lockfilePath), { recursive: true, mode: 0o700 })
          continue
        }
        if (code !== 'ELOCKED') throw error
      }
      // Jitter, so waiting processes do not all try at the same moment.
      await wait(pollMs / 2 + Math.random() * pollMs, signal)
    }
  }

  const request = async (
    _name: string,
    lockOptions: LockOptions | LockGrantedCallback<unknown>,
    callback?: LockGrantedCallback<unknown>,
  ): Promise<unknown> => {
    const granted = typeof lockOptions === 'function' ? lockOptions : callback
    const signal = typeof lockOptions === 'function' ? undefined : lockOptions.signal
    const release = await acquire(signal)
    try {
      return await granted?.(null)
    } finally {
      // Already released (compromised, or the directory removed by hand): nothing left to free.
      await release().catch(() => {})
    }
  }
  return { request } as LockRequester
}
