import { randomBytes } from 'node:crypto'
import type { BigIntStats } from 'node:fs'
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { AuthError } from '../errors.js'
import { type ProcessCoordinatorOptions, processCoordinator } from '../node/process-coordinator.js'
import { recordStorage } from '../node/record-storage.js'
import { decodeRecord, EMPTY_RECORD, encodeRecord, type TokenRecord } from '../node/token-record.js'
import type { RefreshCoordinator, TokenStorage } from '../types.js'

/** Options of {@link fileStorage}. Only `path` is required. */
export interface FileStorageOptions
  extends Omit<ProcessCoordinatorOptions, 'lockPath'>,
    Partial<Pick<ProcessCoordinatorOptions, 'lockPath'>> {
  /** The token file. Its directory is created (mode 0700) when missing. */
  path: string
  /** The lock the processes sharing the file refresh under. @default `${path}.lock` */
  lockPath?: string
}

/** A {@link TokenStorage} in a file, with the coordinator that makes its processes refresh one at a time. */
export interface FileStorage extends Required<TokenStorage> {
  /** The token file, resolved. */
  readonly path: string
  /** Pass it as the client's `coordinator`: one refresh per expiry across every process of the file. */
  readonly coordinator: RefreshCoordinator
}

const OWNER_ONLY = 0o600

const errno = (error: unknown) => (error as { code?: unknown }).code

// Permissions mean little on Windows, where files are guarded by ACLs instead.
const POSIX = process.platform !== 'win32'

function checkPrivate(stats: BigIntStats, path: string): void {
  if (!POSIX) return
  const uid = process.getuid?.()
  const reason =
    (stats.mode & 0o077n) !== 0n
      ? `can be read by other users (mode 0${(stats.mode & 0o777n).toString(8)}; chmod 600 it)`
      : uid !== undefined && stats.uid !== BigInt(uid)
        ? `belongs to another user (uid ${stats.uid})`
        : undefined
  if (reason !== undefined) {
    throw new AuthError('storage_insecure', { message: `token file ${path} ${reason}` })
  }
}

/**
 * Keeps the tokens in a file that the processes of one machine share: a CLI run in several
 * shells, a worker pool, a test runner. Each write goes to a temporary file beside it, is
 * flushed to disk and renamed over it, so a reader sees the old tokens or the new ones, never
 * half of either; the file is mode 0600, its directory (when created here) 0700. A change by
 * another process is seen at the next read (a `stat` each time; the file is read again only
 * when it changed). Pass `coordinator` along too, and one process refreshes while the others
 * wait for it and adopt its tokens; a process killed meanwhile releases the lock after
 * `staleMs`.
 *
 * A file that is empty, garbled or not refresh-kit's is an `AuthError` `storage_unreadable`,
 * one readable by other users or owned by another user `storage_insecure`; neither signs
 * anyone out or touches the file.
 *
 * @example
 * ```ts
 * const storage = fileStorage({ path: join(homedir(), '.config', 'my-cli', 'tokens.json') })
 * const auth = createAuthClient({ baseURL, storage, coordinator: storage.coordinator })
 * ```
 */
export function fileStorage(options: FileStorageOptions): FileStorage {
  if (typeof options?.path !== 'string' || options.path === '') {
    throw new TypeError('fileStorage: option `path` must be a non-empty path')
  }
  const path = resolve(options.path)
  const directory = dirname(path)
  const coordinator = processCoordinator({
    ...options,
    lockPath: options.lockPath ?? `${path}.lock`,
  })
  // The last record read, and the identity of the file it came from: an unchanged file is not read again.
  let cache: { key: string; record: TokenRecord } | undefined

  const read = async (): Promise<TokenRecord> => {
    let stats: BigIntStats
    try {
      stats = await stat(path, { bigint: true })
    } catch (error) {
      if (errno(error) === 'ENOENT') return EMPTY_RECORD
      throw error
    }
    checkPrivate(stats, path)
    // A rename gives the file a new inode, and any write a new ctime.
    const key = `${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`
    if (cache?.key === key) return cache.record
    const record = decodeRecord(await readFile(path, 'utf8'), `token file ${path}`)
    cache = { key, record }
    return record
  }

  const write = async (record: TokenRecord | null): Promise<void> => {
    cache = undefined
    if (record === null) {
      await unlink(path).catch((error: unknown) => {
        if (errno(error) !== 'ENOENT') throw error
      })
      return
    }
    const created = await mkdir(directory, { recursive: true, mode: 0o700 })
    // The umask may have taken bits away; it must not leave a directory others can list.
    if (created !== undefined) await chmod(directory, 0o700)
    const temporary = join(
      directory,
      `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
    )
    try {
      const file = await open(temporary, 'wx', OWNER_ONLY)
      try {
        // Exactly 0600 whatever the umask: the refresh token lives for weeks.
        await file.chmod(OWNER_ONLY)
        await file.writeFile(encodeRecord(record))
        await file.sync()
      } finally {
        await file.close()
      }
      await rename(temporary, path)
    } catch (error) {
      await unlink(temporary).catch(() => {})
      throw error
    }
    // The rename itself reaches the disk with the directory: a crash now keeps the new tokens.
    // Best effort: the rename is done, and a file system that cannot sync a directory keeps it anyway.
    if (POSIX) {
      const dir = await open(directory, 'r').catch(() => undefined)
      await dir
        ?.sync()
        .catch(() => {})
        .finally(() => dir.close())
    }
  }

  return { ...recordStorage({ read, write }), path, coordinator }
}
