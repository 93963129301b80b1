import { ZxcvbnFactory } from '@zxcvbn-ts/core'
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common'

/** Options of {@link createPasswordPolicy}. */
export interface PasswordPolicyOptions {
  /**
   * The lowest zxcvbn score (0 to 4) a new password must reach; `0` turns the check off.
   * 3 means "safely unguessable: moderate protection from an offline slow-hash attack"; the
   * server takes it from `PASSWORD_MIN_SCORE`.
   */
  minScore: number
  /**
   * Words a password must not lean on besides the user's own name, such as the service's
   * name: `'refresh-kit'` makes `refreshkit1` guessable. @default ['refresh-kit']
   */
  userInputs?: readonly string[]
}

/** Judges new passwords (registration and change). */
export interface PasswordPolicy {
  /** What is wrong with `password` for `username`, for a `details` entry, or `null`. */
  problem(password: string, username: string): string | null
}

/** zxcvbn's warnings in words; a warning it adds later falls back to the generic reason. */
const WARNINGS: Readonly<Record<string, string>> = {
  topTen: 'is among the ten most used passwords',
  topHundred: 'is among the hundred most used passwords',
  common: 'is a commonly used password',
  similarToCommon: 'is too similar to a commonly used password',
  pwned: 'has appeared in a data breach',
  userInputs: 'is built on the username or the name of this service',
  straightRow: 'is a straight row of keys',
  keyPattern: 'is a short keyboard pattern',
  simpleRepeat: 'repeats a character',
  extendedRepeat: 'repeats a pattern',
  sequences: 'is a common character sequence such as abc or 1234',
  recentYears: 'is built on a recent year',
  dates: 'is built on a date',
  wordByItself: 'is a single word',
  namesByThemselves: 'is a name',
  commonNames: 'is built on a common name',
}

// zxcvbn's matching grows with length; beyond this many characters a password is judged by
// its start (such a long password passes anyway unless it is one repeated pattern).
const MAX_CHECKED_LENGTH = 128

let shared: ZxcvbnFactory | undefined

/**
 * A password policy with zxcvbn-ts and its common dictionary (common passwords, words,
 * names and keyboard layouts): a password below `minScore`, or one built on the username
 * or the service's name, is refused with the reason zxcvbn gives. Levenshtein matching stays
 * off: it costs tens of milliseconds per check, and near-misses of common passwords are
 * already caught by the l33t and dictionary matchers.
 *
 * @throws TypeError when `minScore` is not an integer from 0 to 4.
 * @example
 * ```ts
 * const policy = createPasswordPolicy({ minScore: 3 })
 * policy.problem('password', 'ada') // 'is among the ten most used passwords'
 * policy.problem('correct horse battery', 'ada') // null
 * ```
 */
export function createPasswordPolicy(options: PasswordPolicyOptions): PasswordPolicy {
  const minScore = options?.minScore
  if (!Number.isInteger(minScore) || minScore < 0 || minScore > 4) {
    throw new TypeError('createPasswordPolicy: options.minScore must be an integer from 0 to 4')
  }
  const userInputs = [...(options.userInputs ?? ['refresh-kit'])]
  if (!userInputs.every((input) => typeof input === 'string')) {
    throw new TypeError('createPasswordPolicy: options.userInputs must be strings')
  }
  // A name with punctuation is also tried without it: 'refresh-kit' guards 'refreshkit1'.
  for (const input of [...userInputs]) {
    const bare = input.replace(/[^\p{L}\p{N}]/gu, '')
    if (bare !== input && bare !== '') userInputs.push(bare)
  }
  if (minScore === 0) return { problem: () => null }
  return {
    problem(password, username) {
      // Built once per process, on first use: the dictionaries take a few tens of ms.
      shared ??= new ZxcvbnFactory({
        dictionary,
        graphs: adjacencyGraphs,
        maxLength: MAX_CHECKED_LENGTH,
      })
      const result = shared.check(password, [...userInputs, username])
      if (result.score >= minScore) return null
      const warning = result.feedback.warning
      return (
        (warning === null ? undefined : WARNINGS[warning]) ??
        `is too easy to guess (strength ${result.score} of 4, at least ${minScore} needed)`
      )
    },
  }
}
