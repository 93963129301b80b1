import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  estimateSecretBits,
  MIN_SECRET_ENTROPY_BITS,
} from '../../src/access-tokens/secret-entropy.js'

describe('estimateSecretBits', () => {
  it('gives nothing to a secret of one character, however long', () => {
    expect(estimateSecretBits('a'.repeat(48))).toBe(0)
    expect(estimateSecretBits('')).toBe(0)
  })

  it('counts a repeated word once', () => {
    expect(estimateSecretBits('changeme'.repeat(6))).toBe(estimateSecretBits('changeme'))
    expect(estimateSecretBits('changeme'.repeat(6))).toBeLessThan(MIN_SECRET_ENTROPY_BITS)
    expect(estimateSecretBits('Password1!'.repeat(4))).toBeLessThan(MIN_SECRET_ENTROPY_BITS)
  })

  it('counts little for runs and short alphabets', () => {
    expect(estimateSecretBits('abcdefghijklmnopqrstuvwxyz012345')).toBeLessThan(32)
    expect(estimateSecretBits('0123456789'.repeat(4))).toBeLessThan(16)
    expect(estimateSecretBits('zyxwvutsrqponmlkjihgfedcba987654')).toBeLessThan(32)
    // A random draw from two characters repeats its triples soon.
    const bits = Array.from(randomBytes(64), (byte) => String(byte & 1)).join('')
    expect(estimateSecretBits(bits)).toBeLessThan(MIN_SECRET_ENTROPY_BITS)
  })

  it('reaches the bits of random secrets, counting hex as 4 bits a character', () => {
    const base64 = randomBytes(32).toString('base64')
    expect(estimateSecretBits(base64)).toBeGreaterThan(180)
    // 16 distinct hex characters, no run: each is worth log2(16).
    expect(estimateSecretBits('3a7f09c2e5b18d64')).toBe(64)
    expect(estimateSecretBits('3A7F09C2E5B18D64')).toBe(64)
    for (let i = 0; i < 1000; i++) {
      expect(estimateSecretBits(randomBytes(32).toString('hex'))).toBeGreaterThan(170)
      expect(estimateSecretBits(randomBytes(16).toString('hex'))).toBeGreaterThanOrEqual(
        MIN_SECRET_ENTROPY_BITS,
      )
    }
  })

  it('examines at most 1024 characters, so a long secret costs little', () => {
    const long = randomBytes(8192).toString('base64')
    // Equal to the estimate of its first 1024 characters: the rest was never read.
    expect(estimateSecretBits(long)).toBe(estimateSecretBits(long.slice(0, 1024)))
  })
})
