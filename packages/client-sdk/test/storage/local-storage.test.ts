import { afterEach, describe, expect, it, vi } from 'vitest'
import { localStorageStorage } from '../../src/storage/local-storage.js'

const tokens = { accessToken: 'a', refreshToken: 'r', expiresAt: 1, refreshExpiresAt: 2 }

function fakeLocalStorage(): Storage {
  const items = new Map<string, string>()
  return {
    get length() {
      return items.size
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => {
      items.delete(key)
    },
    setItem: (key, value) => {
      items.set(key, String(value))
    },
  }
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('localStorageStorage', () => {
  it('can be created where there is no localStorage (Node, workers), and says so on use', async () => {
    // Node 25 and later declare the global, undefined unless --localstorage-file is given.
    expect((globalThis as { localStorage?: Storage }).localStorage).toBeUndefined()
    const storage = localStorageStorage()
    await expect(storage.get()).rejects.toThrow(/localStorage is not available/)
  })

  it('keeps the tokens as JSON under the default key', async () => {
    const local = fakeLocalStorage()
    vi.stubGlobal('localStorage', local)
    const storage = localStorageStorage()
    await storage.set(tokens)
    expect(JSON.parse(local.getItem('refresh-kit.tokens') ?? 'null')).toEqual(tokens)
    expect(await storage.get()).toEqual(tokens)
    await storage.remove()
    expect(local.getItem('refresh-kit.tokens')).toBeNull()
    expect(await storage.get()).toBeNull()
  })

  it('uses the given key, and reads a value that is not JSON as no tokens', async () => {
    const local = fakeLocalStorage()
    vi.stubGlobal('localStorage', local)
    const storage = localStorageStorage({ key: 'my-app.tokens' })
    local.setItem('my-app.tokens', '{not json')
    expect(await storage.get()).toBeNull()
    await storage.set(tokens)
    expect(local.getItem('refresh-kit.tokens')).toBeNull()
    expect(await storage.get()).toEqual(tokens)
  })

  it('keeps the device token under the key plus .device, which remove() leaves', async () => {
    const local = fakeLocalStorage()
    vi.stubGlobal('localStorage', local)
    const storage = localStorageStorage({ key: 'my-app.tokens' })
    expect(await storage.getDeviceToken()).toBeNull()
    await storage.set(tokens)
    await storage.setDeviceToken('dt-1')
    expect(local.getItem('my-app.tokens.device')).toBe('dt-1')
    await storage.remove()
    expect(local.getItem('my-app.tokens')).toBeNull()
    expect(await storage.getDeviceToken()).toBe('dt-1')
  })

  it('names the option when the key is empty', () => {
    expect(() => localStorageStorage({ key: '' })).toThrow(/`key`/)
  })
})
