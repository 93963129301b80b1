import { describe, expect, it } from 'vitest'
import { createPasswordHasher } from '../src/passwords.js'

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

  it('hashes at N=2^15 by default without exceeding scrypt maxmem', async () => {
    const strong = createPasswordHasher()
    const encoded = await strong.hash('correct horse')
    expect(encoded.startsWith('scrypt$32768$8$1$')).toBe(true)
    expect(await strong.verify('correct horse', encoded)).toBe(true)
  })

  it('refuses bad options with a TypeError naming them', () => {
    expect(() => createPasswordHasher({ cost: 1000 })).toThrow(/options.cost/)
    expect(() => createPasswordHasher({ blockSize: 0 })).toThrow(/options.blockSize/)
    expect(() => createPasswordHasher({ saltBytes: 4 })).toThrow(/options.saltBytes/)
  })
})
