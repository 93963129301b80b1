import { homedir } from 'node:os'
import { join } from 'node:path'
import { AuthError } from '../errors.js'
import { type ProcessCoordinatorOptions, processCoordinator } from '../node/process-coordinator.js'
import { recordStorage } from '../node/record-storage.js'
import { decodeRecord, EMPTY_RECORD, encodeRecord, type TokenRecord } from '../node/token-record.js'
import type { RefreshCoordinator, TokenStorage } from '../types.js'

/** Options of {@link keychainStorage}. `service` and `account` are required. */
export interface KeychainStorageOptions
  extends Omit<ProcessCoordinatorOptions, 'lockPath'>,
    Partial<Pick<ProcessCoordinatorOptions, 'lockPath'>> {
  /** The keychain entry's service, e.g. your CLI's name. */
  service: string
  /** The keychain entry's account, e.g. the API's URL or the user's name. */
  account: string
  /**
   * The lock the processes sharing the entry refresh under, on a local file system.
   * @default `<user cache directory>/refresh-kit/<service>.<account>.lock`
   */
  lockPath?: string
}

/** A {@link TokenStorage} in the OS keychain, with the coordinator that makes its processes refresh one at a time. */
export interface KeychainStorage extends Required<TokenStorage> {
  /** Pass it as the client's `coordinator`: one refresh per expiry across every process of the entry. */
  readonly coordinator: RefreshCoordinator
}

/** The part of `@napi-rs/keyring` this storage uses. */
interface KeyringEntry {
  getPassword(): Promise<string | null>
  setPassword(password: string): Promise<void>
  deletePassword(): Promise<boolean>
}

// A variable, so that bundlers leave the import to run time: the library is the app's to install.
const KEYRING = '@napi-rs/keyring'

function cacheDirectory(): string {
  const env = process.env
  if (process.platform === 'win32') return env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local')
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches')
  return env.XDG_CACHE_HOME || join(homedir(), '.cache')
}

/**
 * Keeps the tokens in the operating system's keychain (macOS Keychain, Windows Credential
 * Manager, the Secret Service or kernel keyring on Linux) through `@napi-rs/keyring`, an
 * optional peer dependency the app installs; it is loaded on first use, so the Node entry works
 * without it. Processes sharing the entry share one refresh through a lock file, as with
 * `fileStorage`. A keychain that cannot be reached (no service on a headless Linux machine, the
 * library not installed) is an `AuthError` `storage_unavailable`, an entry that is not
 * refresh-kit's `storage_unreadable`; neither signs anyone out.
 *
 * @example
 * ```ts
 * const storage = keychainStorage({ service: 'my-cli', account: 'https://api.example.com' })
 * const auth = createAuthClient({ baseURL, storage, coordinator: storage.coordinator })
 * ```
 */
export function keychainStorage(options: KeychainStorageOptions): KeychainStorage {
  const { service, account } = options ?? {}
  for (const [option, value] of [
    ['service', service],
    ['account', account],
  ] as const) {
    if (typeof value !== 'string' || value === '') {
      throw new TypeError(`keychainStorage: option \`${option}\` must be a non-empty string`)
    }
  }
  const where = `keychain entry ${service} / ${account}`
  const lockPath =
    options.lockPath ??
    join(
      cacheDirectory(),
      'refresh-kit',
      `${encodeURIComponent(service)}.${encodeURIComponent(account)}.lock`,
    )
  const coordinator = processCoordinator({ ...options, lockPath })

  const unavailable = (cause: unknown) =>
    new AuthError('storage_unavailable', {
      message: `${where}: the OS keychain could not be used (${cause instanceof Error ? cause.message : String(cause)})`,
      cause,
    })

  let entry: Promise<KeyringEntry> | undefined
  const open = () => {
    entry ??= (
      import(KEYRING) as Promise<{
        AsyncEntry: new (service: string, account: string) => KeyringEntry
      }>
    ).then(
      ({ AsyncEntry }) => new AsyncEntry(service, account),
      (error: unknown) => {
        // Installed later, the next use finds it.
        entry = undefined
        throw unavailable(
          new Error(`${KEYRING} is not installed (npm install ${KEYRING})`, { cause: error }),
        )
      },
    )
    return entry
  }
  const use = async <T>(step: (keychain: KeyringEntry) => Promise<T>): Promise<T> => {
    const keychain = await open()
    try {
      return await step(keychain)
    } catch (error) {
      throw unavailable(error)
    }
  }

  const read = async (): Promise<TokenRecord> => {
    const text = await use((keychain) => keychain.getPassword())
    return text === null ? EMPTY_RECORD : decodeRecord(text, where)
  }
  const write = async (record: TokenRecord | null): Promise<void> => {
    await use(async (keychain) => {
      if (record === null) await keychain.deletePassword()
      else await keychain.setPassword(encodeRecord(record))
    })
  }

  return { ...recordStorage({ read, write }), coordinator }
}
