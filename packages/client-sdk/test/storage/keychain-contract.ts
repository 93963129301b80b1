import { randomBytes } from 'node:crypto'
import { expect, it } from 'vitest'
import { isAuthError } from '../../src/errors.js'
import type { KeychainStorage } from '../../src/storage/keychain-storage.js'
import type { StoredTokens } from '../../src/types.js'

const ISSUED_AT = Date.UTC(2026, 0, 1)
export const tokens = (generation: number): StoredTokens => ({
  accessToken: `access.${generation}`,
  refreshToken: `refresh.${generation}`,
  expiresAt: ISSUED_AT + 60_000,
  issuedAt: ISSUED_AT,
  refreshExpiresAt: ISSUED_AT + 86_400_000,
})

/** What the contract needs of a keychain: storages on an account, and raw access to an entry. */
export interface KeychainUnderTest {
  storageOf(account: string): KeychainStorage
  setRaw(account: string, password: string): Promise<void>
  getRaw(account: string): Promise<string | null>
}

// Entries of the real keychain outlive the run: each account is new.
const account = (label: string) => `${label}.${randomBytes(6).toString('hex')}`

/** The storage contract of keychainStorage, declared inside the caller's `describe`. */
export function keychainContract(keychain: KeychainUnderTest): void {
  it('keeps the tokens, and the device token across remove()', async () => {
    const storage = keychain.storageOf(account('round-trip'))
    expect(await storage.get()).toBeNull()
    await storage.set(tokens(1))
    await storage.setDeviceToken('device.1')
    expect(await storage.get()).toEqual(tokens(1))
    await storage.remove()
    expect(await storage.get()).toBeNull()
    expect(await storage.getDeviceToken()).toBe('device.1')
  })

  it("sees another process's write at the next read", async () => {
    const shared = account('shared')
    const mine = keychain.storageOf(shared)
    const theirs = keychain.storageOf(shared)
    await theirs.set(tokens(1))
    expect((await mine.get())?.refreshToken).toBe('refresh.1')
    await theirs.set(tokens(2))
    expect((await mine.get())?.refreshToken).toBe('refresh.2')
  })

  it("another program's entry: storage_unreadable, and left as it was, even by remove()", async () => {
    const foreign = account('foreign')
    await keychain.setRaw(foreign, 'hunter2')
    const storage = keychain.storageOf(foreign)
    const error = await storage.get().catch((thrown: unknown) => thrown)
    expect(isAuthError(error) && error.code).toBe('storage_unreadable')
    const removal = await storage.remove().catch((thrown: unknown) => thrown)
    expect(isAuthError(removal) && removal.code).toBe('storage_unreadable')
    expect(await keychain.getRaw(foreign)).toBe('hunter2')
  })

  it('shares one lock between the processes of an entry', async () => {
    const shared = account('lock')
    const order: string[] = []
    const hold = (name: string, storage: KeychainStorage) =>
      storage.coordinator.withRefreshLock(async () => {
        order.push(`${name} in`)
        await new Promise((resolve) => setTimeout(resolve, 100))
        order.push(`${name} out`)
      })
    await Promise.all([
      hold('a', keychain.storageOf(shared)),
      hold('b', keychain.storageOf(shared)),
    ])
    expect(order.join(', ')).toMatch(/^(a in, a out, b in, b out|b in, b out, a in, a out)$/)
  })
}
