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

  it('keeps each instance apart', async () => {
    const one = memoryStorage()
    const two = memoryStorage()
    await one.set(tokens)
    expect(await two.get()).toBeNull()
  })
})
