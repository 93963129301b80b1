import { browserCoordinator } from '../cross-tab.js'
import type { RefreshCoordinator } from '../types.js'
import { processLocks } from './process-lock.js'

/** Options of {@link processCoordinator}. Only `lockPath` is required. */
export interface ProcessCoordinatorOptions {
  /** Where the lock lives: a path on the same local file system as the tokens, the same for every process that shares them. */
  lockPath: string
  /** A lock whose holder stopped touching it for this long is taken over (a killed process). @default 10000 */
  staleMs?: number
  /** How long a process waits for the lock before refreshing without it (the server's reuse grace keeps that safe). @default 20000 */
  acquireTimeoutMs?: number
  /** How long a process may hold the lock while its refresh runs; a hung refresh releases it then. @default 15000 */
  holdTimeoutMs?: number
}

/**
 * A {@link RefreshCoordinator} for the processes of one machine that share stored tokens: one
 * process refreshes while holding a lock file, the others wait, re-read storage and adopt its
 * tokens. It is the cross-tab coordinator with a lock file in place of Web Locks, so the
 * adoption rules and the acquire and hold timeouts are the same. `fileStorage` and
 * `keychainStorage` bring one along as their `coordinator`; this is for a storage of your own.
 *
 * @example
 * ```ts
 * const auth = createAuthClient({
 *   baseURL: 'https://api.example.com',
 *   storage: myStorage,
 *   coordinator: processCoordinator({ lockPath: '/var/lib/my-cli/tokens.lock' }),
 * })
 * ```
 */
export function processCoordinator(options: ProcessCoordinatorOptions): RefreshCoordinator {
  const lockPath = options?.lockPath
  if (typeof lockPath !== 'string' || lockPath === '') {
    throw new TypeError('processCoordinator: option `lockPath` must be a non-empty path')
  }
  const staleMs = options.staleMs
  if (staleMs !== undefined && !(staleMs >= 2000)) {
    throw new TypeError('processCoordinator: option `staleMs` must be at least 2000')
  }
  return browserCoordinator({
    locks: processLocks({ lockPath, ...(staleMs !== undefined && { staleMs }) }),
    // Another process reads the file itself: there are no tabs to message.
    BroadcastChannel: null,
    storage: null,
    events: null,
    ...(options.acquireTimeoutMs !== undefined && { acquireTimeoutMs: options.acquireTimeoutMs }),
    ...(options.holdTimeoutMs !== undefined && { holdTimeoutMs: options.holdTimeoutMs }),
  })
}
