import { describe, expect, it } from 'vitest'
import {
  createPasswordHasher,
  DEFAULT_SCRYPT_MEMORY_BYTES,
} from '../../src/credentials/password-hashing.js'

const passwords = createPasswordHasher({ cost: 2 ** 10 })

describe('passwords', () => {
  it('records the scrypt parameters and a fresh salt with each hash', async () => {
    const first = await passwords.hash('correct horse')
    const second = await passwords.hash('correct horse')
    expect(first).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
    expect(first).not.toBe(second)
  })

  it('verifies the right password and refuses a wrong one', async () => {
    const encoded = await passwords.hash('correct horse')
    expect(await passwords.verify('correct horse', encoded)).toBe(true)
    expect(await passwords.verify('correct horsE', encoded)).toBe(false)
  })

  it('verifies under the parameters stored with the hash, not its own', async () => {
    const encoded = await createPasswordHasher({ cost: 2 ** 11, blockSize: 4 }).hash('pw-123456')
    expect(await passwords.verify('pw-123456', encoded)).toBe(true)
  })

  it('treats a malformed or absurd stored hash as a mismatch', async () => {
    for (const encoded of [
      '',
      'bcrypt$x',
      'scrypt$1000$8$1$AAAA$AAAA',
      'scrypt$1073741824$8$1$AAAA$AAAA',
      'scrypt$1024$0$1$AAAA$AAAA',
    ]) {
      expect(await passwords.verify('whatever1', encoded)).toBe(false)
    }
  })

  it('verifyNothing does the work and says no', async () => {
    expect(await passwords.verifyNothing('anything')).toBe(false)
  })

  it("hashes at OWASP's minimum by default, N=2^17 r=8 p=1 (128 MiB), within scrypt's maxmem", async () => {
    const strong = createPasswordHasher()
    const encoded = await strong.hash('correct horse')
    expect(encoded).toMatch(/^scrypt\$131072\$8\$1\$/)
    expect(await strong.verify('correct horse', encoded)).toBe(true)
    expect(DEFAULT_SCRYPT_MEMORY_BYTES).toBe(128 * 1024 * 1024)
    // A hash of the former default (N=2^15) still verifies, and is due for an upgrade.
    const former = await createPasswordHasher({ cost: 2 ** 15 }).hash('correct horse')
    expect(await strong.verify('correct horse', former)).toBe(true)
    expect(strong.needsRehash?.(former)).toBe(true)
    expect(strong.needsRehash?.(encoded)).toBe(false)
  })

  describe('needsRehash', () => {
    const current = createPasswordHasher({ cost: 2 ** 10, blockSize: 8, parallelization: 2 })

    it('is false for a hash of its own parameters, or of stronger ones', async () => {
      expect(current.needsRehash?.(await current.hash('pw-123456'))).toBe(false)
      const stronger = createPasswordHasher({
        cost: 2 ** 11,
        blockSize: 16,
        parallelization: 3,
        saltBytes: 32,
        keyBytes: 64,
      })
      expect(current.needsRehash?.(await stronger.hash('pw-123456'))).toBe(false)
    })

    it.each([
      ['a smaller N', { cost: 2 ** 9, blockSize: 8, parallelization: 2 }],
      ['a smaller r', { cost: 2 ** 10, blockSize: 4, parallelization: 2 }],
      ['a smaller p', { cost: 2 ** 10, blockSize: 8, parallelization: 1 }],
      ['a larger N but a smaller r', { cost: 2 ** 12, blockSize: 2, parallelization: 2 }],
      ['a shorter key', { cost: 2 ** 10, blockSize: 8, parallelization: 2, keyBytes: 16 }],
    ])('is true for a hash with %s', async (_, options) => {
      expect(current.needsRehash?.(await createPasswordHasher(options).hash('pw-123456'))).toBe(
        true,
      )
    })

    it('is true for a shorter salt, and for what it cannot read', async () => {
      const longSalt = createPasswordHasher({ cost: 2 ** 10, parallelization: 2, saltBytes: 32 })
      expect(longSalt.needsRehash?.(await current.hash('pw-123456'))).toBe(true)
      for (const encoded of ['', 'bcrypt$x', '$2b$10$abcdefghijklmnopqrstuv']) {
        expect(current.needsRehash?.(encoded), encoded).toBe(true)
      }
    })
  })

  it('refuses bad options with a TypeError naming them', () => {
    expect(() => createPasswordHasher({ cost: 1000 })).toThrow(/options.cost/)
    expect(() => createPasswordHasher({ blockSize: 0 })).toThrow(/options.blockSize/)
    expect(() => createPasswordHasher({ saltBytes: 4 })).toThrow(/options.saltBytes/)
  })
})
