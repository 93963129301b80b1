import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { checkOptions, integerRule } from '../lib/options.js'

/** Options of {@link createPasswordPolicy}. */
export interface PasswordPolicyOptions {
  /**
   * The lowest zxcvbn score (0 to 4) a new password must reach; `0` turns the check off.
   * 3 means "safely unguessable: moderate protection from an offline slow-hash attack"; the
   * server takes it from `PASSWORD_MIN_SCORE`.
   */
  minScore: number
  /**
   * The fewest characters (Unicode code points) a new password may have; the server takes
   * it from `PASSWORD_MIN_LENGTH` (15 unless set: NIST SP 800-63B-4, for a password that is
   * the only factor). Logins never check it, so lowering or raising it locks nobody out.
   */
  minLength: number
  /**
   * Words a password must not lean on besides the user's own name, such as the service's
   * name: `'refresh-kit'` makes `refreshkit1` guessable. @default ['refresh-kit']
   */
  userInputs?: readonly string[]
}

/** Judges new passwords (registration and change). */
export interface PasswordPolicy {
  /**
   * What is wrong with the length of `password`, for a `details` entry, or `null`. Cheap:
   * checked before any limit is spent.
   */
  lengthProblem(password: string): string | null
  /**
   * What is wrong with `password` for `username` (too guessable), for a `details` entry, or
   * `null`. The judging runs on a worker thread, never on the event loop; the token service
   * asks only behind its limits, in a slot of the bounded hash queue.
   */
  problem(password: string, username: string): Promise<string | null>
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

/** The worker: zxcvbn with its common dictionary, built once, judging one password a message. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { ZxcvbnFactory } = require(workerData.core)
const { adjacencyGraphs, dictionary } = require(workerData.common)
const zxcvbn = new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs, maxLength: workerData.maxLength })
parentPort.on('message', ({ id, password, inputs }) => {
  try {
    const result = zxcvbn.check(password, inputs)
    parentPort.postMessage({ id, score: result.score, warning: result.feedback.warning })
  } catch (error) {
    parentPort.postMessage({ id, failure: String(error && error.message) })
  }
})
`

interface Judgement {
  id: number
  score?: number
  warning?: string | null
  failure?: string
}

interface Pending {
  resolve: (judgement: Judgement) => void
  reject: (error: Error) => void
}

/**
 * One worker thread for every policy of the process, started on first use (the dictionaries
 * take a few tens of ms to build) and held only while a judgement is pending, so it never
 * keeps a process alive. A check of a long, patterned password takes zxcvbn up to ~150 ms
 * of CPU: on the event loop, a flood of them would stall every other request.
 */
function createJudge() {
  let worker: Worker | undefined
  let nextId = 0
  const pending = new Map<number, Pending>()
  const fail = (error: Error) => {
    worker = undefined
    for (const { reject } of pending.values()) reject(error)
    pending.clear()
  }
  const start = () => {
    const require = createRequire(import.meta.url)
    const started = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        core: require.resolve('@zxcvbn-ts/core'),
        common: require.resolve('@zxcvbn-ts/language-common'),
        maxLength: MAX_CHECKED_LENGTH,
      },
    })
    started.on('message', (judgement: Judgement) => {
      const waiter = pending.get(judgement.id)
      pending.delete(judgement.id)
      if (pending.size === 0) started.unref()
      waiter?.resolve(judgement)
    })
    started.on('error', (error) => fail(error))
    started.on('exit', (code) => {
      if (worker === started) fail(new Error(`the password-strength worker exited with ${code}`))
    })
    return started
  }
  return (password: string, inputs: string[]): Promise<Judgement> => {
    worker ??= start()
    const id = nextId++
    worker.ref()
    worker.postMessage({ id, password, inputs })
    return new Promise<Judgement>((resolve, reject) => {
      pending.set(id, { resolve, reject })
    })
  }
}

let judge: ReturnType<typeof createJudge> | undefined

/** Unicode code points: what a person counts as characters, emoji and all. */
function lengthOf(password: string): number {
  let count = 0
  for (const _ of password) count += 1
  return count
}

/**
 * A password policy: a minimum length, and zxcvbn-ts with its common dictionary (common
 * passwords, words, names and keyboard layouts), so a password below `minScore`, or one built
 * on the username or the service's name, is refused with the reason zxcvbn gives. Levenshtein
 * matching stays off: it costs tens of milliseconds per check, and near-misses of common
 * passwords are already caught by the l33t and dictionary matchers.
 *
 * @throws TypeError when `minScore` is not an integer from 0 to 4, or `minLength` not one
 *   from 1 to 1024.
 * @example
 * ```ts
 * const policy = createPasswordPolicy({ minScore: 3, minLength: 15 })
 * policy.lengthProblem('hunter2') // 'must be at least 15 characters'
 * await policy.problem('passwordpassword', 'ada') // 'is too similar to a commonly used password'
 * await policy.problem('correct horse battery', 'ada') // null
 * ```
 */
export function createPasswordPolicy(options: PasswordPolicyOptions): PasswordPolicy {
  const { minScore, minLength } = checkOptions(
    'createPasswordPolicy',
    { minScore: options?.minScore, minLength: options?.minLength },
    {
      minScore: integerRule(0, 4),
      minLength: integerRule(1, 1024),
    },
  )
  const userInputs = [...(options.userInputs ?? ['refresh-kit'])]
  if (!userInputs.every((input) => typeof input === 'string')) {
    throw new TypeError('createPasswordPolicy: options.userInputs must be strings')
  }
  // A name with punctuation is also tried without it: 'refresh-kit' guards 'refreshkit1'.
  for (const input of [...userInputs]) {
    const bare = input.replace(/[^\p{L}\p{N}]/gu, '')
    if (bare !== input && bare !== '') userInputs.push(bare)
  }
  const lengthProblem = (password: string) =>
    lengthOf(password) < minLength ? `must be at least ${minLength} characters` : null
  if (minScore === 0) return { lengthProblem, problem: async () => null }
  return {
    lengthProblem,
    async problem(password, username) {
      judge ??= createJudge()
      const result = await judge(password, [...userInputs, username])
      if (result.failure !== undefined) {
        throw new Error(`the password-strength check failed: ${result.failure}`)
      }
      if ((result.score ?? 0) >= minScore) return null
      const warning = result.warning
      return (
        (warning === null || warning === undefined ? undefined : WARNINGS[warning]) ??
        `is too easy to guess (strength ${result.score} of 4, at least ${minScore} needed)`
      )
    },
  }
}
