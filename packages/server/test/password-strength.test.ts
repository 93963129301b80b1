import { describe, expect, it } from 'vitest'
import { createPasswordPolicy } from '../src/password-strength.js'

describe('password policy', () => {
  const policy = createPasswordPolicy({ minScore: 3 })

  it.each(['password', '12345678', 'qwertyuiop', 'P@ssw0rd!', 'abcd1234', 'password1234'])(
    'refuses %s',
    (password) => {
      expect(policy.problem(password, 'ada')).toEqual(expect.any(String))
    },
  )

  it('refuses passwords built on the service name or the username', () => {
    expect(policy.problem('refreshkit1', 'ada')).toMatch(/name of this service/)
    expect(policy.problem('lovelace1815', 'lovelace')).toEqual(expect.any(String))
    const custom = createPasswordPolicy({ minScore: 3, userInputs: ['acme-orders'] })
    expect(custom.problem('acmeorders!', 'ada')).toEqual(expect.any(String))
  })

  it('accepts passphrases and random strings', () => {
    expect(policy.problem('correct horse battery', 'ada')).toBeNull()
    expect(policy.problem('gT7#pQ2!vX9m', 'ada')).toBeNull()
  })

  it('judges a password of a thousand characters by its start', () => {
    expect(policy.problem('aZ8#kq!2mPv9'.repeat(85), 'ada')).toBeNull()
    expect(policy.problem('a'.repeat(1000), 'ada')).toMatch(/repeats/)
  })

  it('minScore 0 accepts anything; a score outside 0 to 4 is a TypeError naming the option', () => {
    expect(createPasswordPolicy({ minScore: 0 }).problem('password', 'ada')).toBeNull()
    expect(() => createPasswordPolicy({ minScore: 5 })).toThrow(/options\.minScore/)
    expect(() => createPasswordPolicy({ minScore: 2.5 })).toThrow(/options\.minScore/)
  })
})
