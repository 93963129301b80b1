import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsyncEntry } from '@napi-rs/keyring'
import { afterAll, describe, expect, it } from 'vitest'
import { isAuthError } from '../../src/errors.js'
import { keychainStorage } from '../../src/storage/keychain-storage.js'
import { keychainContract, tokens } from './keychain-contract.js'

const SERVICE = 'refresh-kit-test'
/**
 * Whether this machine's keychain keeps a secret and gives it back, and if not, why. Asked up
 * to three times: on some Linux machines a process's first write is refused (AccessDenied)
 * and the next one kept, so one refusal does not mean there is no keychain.
 */
async function probeKeychain(): Promise<
  { available: true } | { available: false; reason: string }
> {
  let reason = ''
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const entry = new AsyncEntry(SERVICE, `probe.${randomBytes(4).toString('hex')}`)
    try {
      await entry.setPassword('probe')
      const back = await entry.getPassword()
      await entry.deletePassword()
      if (back === 'probe') return { available: true }
      reason = `the keychain gave back ${JSON.stringify(back)}`
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error)
    }
  }
  return { available: false, reason }
}

const probe = await probeKeychain()
const directory = await mkdtemp(join(tmpdir(), 'refresh-kit-keychain-'))
afterAll(async () => {
  await rm(directory, { recursive: true, force: true })
})

const accounts: string[] = []
function storageOf(account: string) {
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
    keychainContract({
      storageOf,
      setRaw: (account, password) => {
        accounts.push(account)
        return new AsyncEntry(SERVICE, account).setPassword(password)
      },
      getRaw: (account) => new AsyncEntry(SERVICE, account).getPassword(),
    })
  })
} else {
  describe('keychainStorage where the platform has no keychain service', () => {
    it('reports storage_unavailable with the reason, instead of crashing or losing the tokens', async () => {
      const reason = probe.reason
      // Visible in the test output: why the keychain contract above did not run on this machine.
      console.log(`keychain storage contract not run: no usable keychain here (${reason})`)
      const storage = storageOf(`unavailable.${randomBytes(4).toString('hex')}`)
      const error = await storage.set(tokens(1)).catch((thrown: unknown) => thrown)
      expect(isAuthError(error) && error.code).toBe('storage_unavailable')
      expect(isAuthError(error) && error.message).toContain(reason)
    })
  })
}
