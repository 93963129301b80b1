import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, vi } from 'vitest'
import { keychainStorage } from '../../src/storage/keychain-storage.js'
import { keychainContract } from './keychain-contract.js'

// One keychain for the whole file, shared by every entry object as the OS's is.
const entries = vi.hoisted(() => new Map<string, string>())

vi.mock('@napi-rs/keyring', () => ({
  AsyncEntry: class {
    readonly key: string
    constructor(service: string, account: string) {
      this.key = `${service}\u0000${account}`
    }
    async getPassword() {
      return entries.get(this.key) ?? null
    }
    async setPassword(password: string) {
      entries.set(this.key, password)
    }
    async deletePassword() {
      return entries.delete(this.key)
    }
  },
}))

const SERVICE = 'refresh-kit-test'
const directory = await mkdtemp(join(tmpdir(), 'refresh-kit-keychain-stand-in-'))
afterAll(async () => {
  await rm(directory, { recursive: true, force: true })
})

// The record handling and the lock of keychainStorage, on every machine: an in-memory keychain
// stands in for the library, which a headless machine cannot back with a real one.
describe('keychainStorage on an in-memory stand-in for the keychain library', () => {
  keychainContract({
    storageOf: (account) =>
      keychainStorage({ service: SERVICE, account, lockPath: join(directory, `${account}.lock`) }),
    setRaw: async (account, password) => {
      entries.set(`${SERVICE}\u0000${account}`, password)
    },
    getRaw: async (account) => entries.get(`${SERVICE}\u0000${account}`) ?? null,
  })
})
