import { describe, expect, it } from 'vitest'
import { memoryStorage } from '../../src/storage/memory.js'

const tokens = { accessToken: 'a', refreshToken: 'r', expiresAt: 1, refreshExpiresAt: 2 }

describe('memoryStorage', () => {
  it('stores, reads and removes', async () => {
    const storage = memoryStorage()
    expect(await storage.get()).toBeNull()
    await storage.set(tokens)
    expect(await storage.get()).toEqual(tokens)
    await storage.remove()
    expect(await storage.get()).toBeNull()
  })

  it('keeps the device token in a slot of its own, which remove() leaves', async () => {
    const storage = memoryStorage()
    expect(await storage.getDeviceToken()).toBeNull()
    await storage.set(tokens)
    await storage.setDeviceToken('dt-1')
    await storage.remove()
    expect(await storage.get()).toBeNull()
    expect(await storage.getDeviceToken()).toBe('dt-1')
    await storage.setDeviceToken('dt-2')
    expect(await storage.getDeviceToken()).toBe('dt-2')
  })

  it('keeps each instance apart', async () => {
    const one = memoryStorage()
    const two = memoryStorage()
    await one.set(tokens)
    expect(await two.get()).toBeNull()
  })
})
