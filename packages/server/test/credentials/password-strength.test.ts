import { describe, expect, it } from 'vitest'
import { createPasswordPolicy } from '../../src/credentials/password-strength.js'

describe('password policy', () => {
  const policy = createPasswordPolicy({ minScore: 3, minLength: 15 })

  it.each([
    'password',
    '12345678',
    'qwertyuiop',
    'P@ssw0rd!',
    'abcd1234',
    'password1234',
    'passwordpassword',
  ])('refuses %s', async (password) => {
    expect(await policy.problem(password, 'ada')).toEqual(expect.any(String))
  })

  it('refuses passwords built on the service name or the username', async () => {
    expect(await policy.problem('refreshkit1', 'ada')).toMatch(/name of this service/)
    expect(await policy.problem('lovelace1815', 'lovelace')).toEqual(expect.any(String))
    const custom = createPasswordPolicy({ minScore: 3, minLength: 15, userInputs: ['acme-orders'] })
    expect(await custom.problem('acmeorders!', 'ada')).toEqual(expect.any(String))
  })

  it('accepts passphrases and random strings', async () => {
    expect(await policy.problem('correct horse battery', 'ada')).toBeNull()
    expect(await policy.problem('gT7#pQ2!vX9m', 'ada')).toBeNull()
  })

  it('judges a password of a thousand characters by its start', async () => {
    expect(await policy.problem('aZ8#kq!2mPv9'.repeat(85), 'ada')).toBeNull()
    expect(await policy.problem('a'.repeat(1000), 'ada')).toMatch(/repeats/)
  })

  it('judges on a worker thread: the event loop keeps turning while 1 KiB patterned passwords are judged', async () => {
    const patterned = '1qaz2wsx'.repeat(128)
    let ticks = 0
    const timer = setInterval(() => {
      ticks += 1
    }, 1)
    // Each judgement costs zxcvbn tens of milliseconds of CPU: on the event loop, the timer
    // could not fire until all of them were done.
    const judged = await Promise.all(
      Array.from({ length: 8 }, () => policy.problem(patterned, 'ada')),
    )
    clearInterval(timer)
    expect(judged.every((problem) => typeof problem === 'string')).toBe(true)
    expect(ticks).toBeGreaterThan(0)
  })

  it('counts the length in characters, not UTF-16 units, and holds new passwords to minLength', () => {
    const strict = createPasswordPolicy({ minScore: 0, minLength: 15 })
    expect(strict.lengthProblem('fourteen chars')).toBe('must be at least 15 characters')
    expect(strict.lengthProblem('fifteen chars!!')).toBeNull()
    // Seven emoji are fourteen UTF-16 units and seven characters.
    expect(createPasswordPolicy({ minScore: 0, minLength: 8 }).lengthProblem('😀'.repeat(7))).toBe(
      'must be at least 8 characters',
    )
    expect(
      createPasswordPolicy({ minScore: 3, minLength: 15 }).lengthProblem('x'.repeat(14)),
    ).toMatch(/15/)
  })

  it('minScore 0 accepts anything; a score outside 0 to 4 or a bad minLength is a TypeError naming the option', async () => {
    expect(
      await createPasswordPolicy({ minScore: 0, minLength: 15 }).problem('password', 'ada'),
    ).toBeNull()
    expect(() => createPasswordPolicy({ minScore: 5, minLength: 15 })).toThrow(/options\.minScore/)
    expect(() => createPasswordPolicy({ minScore: 2.5, minLength: 15 })).toThrow(
      /options\.minScore/,
    )
    expect(() => createPasswordPolicy({ minScore: 3, minLength: 0 })).toThrow(/options\.minLength/)
  })
})
