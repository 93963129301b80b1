import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsyncEntry } from '@napi-rs/keyring'
import { afterAll, describe, expect, it } from 'vitest'
import { isAuthError } from '../../src/errors.js'
import { keychainStorage } from '../../src/storage/keychain-storage.js'
import type { StoredTokens } from '../../src/types.js'

const SERVICE = 'refresh-kit-test'
const ISSUED_AT = Date.UTC(2026, 0, 1)
const tokens = (generation: number): StoredTokens => ({
  accessToken: `access.${generation}`,
  refreshToken: `refresh.${generation}`,
  expiresAt: ISSUED_AT + 60_000,
  issuedAt: ISSUED_AT,
  refreshExpiresAt: ISSUED_AT + 86_400_000,
})

/** Whether this machine's keychain keeps a secret and gives it back, and if not, why. */
async function probeKeychain(): Promise<
  { available: true } | { available: false; reason: string }
> {
  const entry = new AsyncEntry(SERVICE, `probe.${randomBytes(4).toString('hex')}`)
  try {
    await entry.setPassword('probe')
    const back = await entry.getPassword()
    await entry.deletePassword()
    return back === 'probe'
      ? { available: true }
      : { available: false, reason: `the keychain gave back ${JSON.stringify(back)}` }
  } catch (error) {
    return { available: false, reason: error instanceof Error ? error.message : String(error) }
  }
}

const probe = await probeKeychain()
const directory = await mkdtemp(join(tmpdir(), 'refresh-kit-keychain-'))
afterAll(async () => {
  await rm(directory, { recursive: true, force: true })
})

const accounts: string[] = []
function storageOf(account = `account.${randomBytes(4).toString('hex')}`) {
  accounts.push(account)
  return keychainStorage({
    service: SERVICE,
    account,
    lockPath: join(directory, `${account}.lock`),
  })
}

// Only one of the two suites is declared, so a machine without a keychain skips nothing: it
// runs the suite that says why the contract could not run.
if (probe.available) {
  describe('keychainStorage on this platform keychain', () => {
    afterAll(async () => {
      for (const account of accounts) await new AsyncEntry(SERVICE, account).deletePassword()
    })

    it('keeps the tokens, and the device token across remove()', async () => {
      const storage = storageOf()
      expect(await storage.get()).toBeNull()
      await storage.set(tokens(1))
      await storage.setDeviceToken('device.1')
      expect(await storage.get()).toEqual(tokens(1))
      await storage.remove()
      expect(await storage.get()).toBeNull()
      expect(await storage.getDeviceToken()).toBe('device.1')
    })

    it("sees another process's write at the next read", async () => {
      const account = `shared.${randomBytes(4).toString('hex')}`
      const mine = storageOf(account)
      const theirs = storageOf(account)
      await theirs.set(tokens(1))
      expect((await mine.get())?.refreshToken).toBe('refresh.1')
      await theirs.set(tokens(2))
      expect((await mine.get())?.refreshToken).toBe('refresh.2')
    })

    it("another program's entry: storage_unreadable, left as it was", async () => {
      const account = `foreign.${randomBytes(4).toString('hex')}`
      await new AsyncEntry(SERVICE, account).setPassword('hunter2')
      const error = await storageOf(account)
        .get()
        .catch((thrown: unknown) => thrown)
      expect(isAuthError(error) && error.code).toBe('storage_unreadable')
      expect(await new AsyncEntry(SERVICE, account).getPassword()).toBe('hunter2')
    })
  })
} else {
  describe('keychainStorage where the platform has no keychain service', () => {
    it('reports storage_unavailable with the reason, instead of crashing or losing the tokens', async () => {
      const reason = probe.reason
      // Visible in the test output: why the keychain contract above did not run on this machine.
      console.log(`keychain storage contract not run: no usable keychain here (${reason})`)
      const storage = storageOf()
      const error = await storage.set(tokens(1)).catch((thrown: unknown) => thrown)
      expect(isAuthError(error) && error.code).toBe('storage_unavailable')
      expect(isAuthError(error) && error.message).toContain(reason)
    })
  })
}
