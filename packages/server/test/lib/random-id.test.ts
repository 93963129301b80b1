import { describe, expect, it, vi } from 'vitest'

// Every buffer the CSPRNG fills, copied right after the fill: what the pool holds.
const fills = vi.hoisted(() => [] as Buffer[])

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>()
  return {
    ...actual,
    randomFillSync: <T extends NodeJS.ArrayBufferView>(buffer: T): T => {
      actual.randomFillSync(buffer)
      fills.push(Buffer.from(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)))
      return buffer
    },
  }
})

const { randomId, RANDOM_ID_PATTERN } = await import('../../src/lib/random-id.js')

describe('randomId', () => {
  it('hands out each byte the CSPRNG filled exactly once, in order, refilling when used up', () => {
    const count = 1000 // 16 000 bytes: three full 4 KiB pools and part of a fourth
    const ids = Array.from({ length: count }, () => randomId())
    expect(fills).toHaveLength(Math.ceil((count * 16) / 4096))
    const handedOut = Buffer.concat(ids.map((id) => Buffer.from(id, 'base64url')))
    expect(handedOut).toEqual(Buffer.concat(fills).subarray(0, count * 16))
    expect(new Set(ids).size).toBe(count)
  })

  it('is 128 bits as 22 base64url characters, matching RANDOM_ID_PATTERN', () => {
    const pattern = new RegExp(`^${RANDOM_ID_PATTERN}$`)
    for (let i = 0; i < 300; i++) {
      const id = randomId()
      expect(id).toMatch(pattern)
      expect(Buffer.from(id, 'base64url')).toHaveLength(16)
      expect(Buffer.from(id, 'base64url').toString('base64url')).toBe(id)
    }
  })
})
