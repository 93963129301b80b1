import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  DEFAULT_LEEWAY_SECONDS,
  DEFAULT_LOCK_ACQUIRE_TIMEOUT_MS,
  DEFAULT_LOCK_HOLD_TIMEOUT_MS,
  DEFAULT_REFRESH_BACKOFF_INITIAL_MS,
  DEFAULT_REFRESH_TIMEOUT_MS,
} from '@refresh-kit/shared'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load.js'

/**
 * Model-checks the rotation protocol (model/rotation.pml) with spin, with its constants taken
 * from the code's defaults: the server's config and the SDK's defaults in the shared package.
 */

const MODEL = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'model', 'rotation.pml')
const work = mkdtempSync(join(tmpdir(), 'refresh-kit-spin-'))
copyFileSync(MODEL, join(work, 'rotation.pml'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

/** Timing figures in milliseconds, as the code holds them. */
interface Timings {
  graceMs: number
  refreshTimeoutMs: number
  holdTimeoutMs: number
  acquireTimeoutMs: number
  backoffMs: number
  /** How long after a successful refresh a tab refreshes again: access-token lifetime less leeway. */
  nextRefreshMs: number
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))

/**
 * The model's constants: every duration in ticks of one UNIT, the greatest common divisor of
 * the timeouts and the grace window, so that no bound is rounded.
 */
function modelConstants(t: Timings): Record<string, number> {
  const unitMs = [t.graceMs, t.refreshTimeoutMs, t.holdTimeoutMs, t.acquireTimeoutMs].reduce(gcd)
  const ticks = (ms: number) => ms / unitMs
  const grace = ticks(t.graceMs)
  const timeout = ticks(t.refreshTimeoutMs)
  const hold = ticks(t.holdTimeoutMs)
  return {
    UNIT: unitMs / 1000,
    GRACE: grace,
    TIMEOUT: timeout,
    HOLD: hold,
    ACQUIRE: ticks(t.acquireTimeoutMs),
    // Rounded up: the model may only make a tab slower to come back than the SDK.
    BACKOFF: Math.ceil(t.backoffMs / unitMs),
    // Past the grace window every timer has run out, so a later refresh behaves alike; capping
    // it lets a tab refresh sooner than it would, which only adds behaviours.
    GAP: Math.min(Math.floor(t.nextRefreshMs / unitMs), grace + 1),
    // Long enough for a refresh, a takeover after the hold timeout, and a retry, past the window.
    HORIZON: grace + hold + 2 * timeout + 1,
  }
}

const config = loadConfig({})
const DEFAULTS: Timings = {
  graceMs: config.refreshReuseGrace * 1000,
  refreshTimeoutMs: DEFAULT_REFRESH_TIMEOUT_MS,
  holdTimeoutMs: DEFAULT_LOCK_HOLD_TIMEOUT_MS,
  acquireTimeoutMs: DEFAULT_LOCK_ACQUIRE_TIMEOUT_MS,
  backoffMs: DEFAULT_REFRESH_BACKOFF_INITIAL_MS,
  nextRefreshMs: (config.accessTokenTtl - DEFAULT_LEEWAY_SECONDS) * 1000,
}
/** v1's defaults: a 10 s grace window and a 10 s refresh timeout, retried after the backoff. */
const OLD_DEFAULTS: Timings = {
  ...DEFAULTS,
  graceMs: 10_000,
  refreshTimeoutMs: 10_000,
  holdTimeoutMs: 15_000,
  acquireTimeoutMs: 20_000,
}

interface Check {
  /** `errors: N` as pan reports it. */
  errors: number
  states: number
  /** pan's report of a violated assertion, if any. */
  violation: string | null
  /** The counterexample, one event per line, when an invariant broke. */
  trace: string[]
}

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { cwd: work, encoding: 'utf8', timeout: 240_000 })
  if (result.error !== undefined) throw result.error
  const output = `${result.stdout}${result.stderr}`
  if (command !== './pan' && command !== 'spin' && result.status !== 0) {
    throw new Error(`${command} failed: ${output}`)
  }
  return output
}

/**
 * Generates, compiles and runs the verifier for one configuration; replays a trail readably.
 * `shortest`: search breadth-first, so that a counterexample is a shortest one.
 */
function check(constants: Record<string, number>, shortest = false): Check {
  const defines = Object.entries(constants).map(([name, value]) => `-D${name}=${value}`)
  rmSync(join(work, 'rotation.pml.trail'), { force: true })
  const generated = run('spin', [...defines, '-a', 'rotation.pml'])
  if (!/^\s*$/.test(generated)) throw new Error(`spin -a: ${generated}`)
  // Unoptimised: pan.c compiles in seconds instead of half a minute. Compression keeps memory low.
  const search = shortest ? ['-DBFS'] : []
  run('cc', ['-O0', '-DSAFETY', '-DCOLLAPSE', ...search, '-w', '-o', 'pan', 'pan.c'])
  // -E: end states are not errors (the clock stops at the horizon); -n: no unreached-code list.
  const report = run('./pan', ['-E', '-n'])
  const errors = Number(/errors: (\d+)/.exec(report)?.[1] ?? Number.NaN)
  const states = Number(/(\d+) states, stored/.exec(report)?.[1] ?? Number.NaN)
  if (Number.isNaN(errors) || Number.isNaN(states))
    throw new Error(`unexpected pan report: ${report}`)
  const violation = /assertion violated .*/.exec(report)?.[0] ?? null
  const trace =
    errors === 0
      ? []
      : run('spin', ['-t', '-T', '-B', ...defines, 'rotation.pml'])
          .split('\n')
          .filter((line) => line.startsWith('MODEL ') || line.startsWith('spin: text of failed'))
          .map((line) => (line.startsWith('MODEL ') ? line.slice('MODEL '.length) : broken(line)))
  return { errors, states, violation, trace }
}

/** Names the invariant behind a failed assertion of the model. */
function broken(line: string): string {
  const assertion = line.replace(/^spin: text of failed assertion: /, '')
  if (assertion.includes('attacked')) {
    return `INVARIANT 1 BROKEN: a tab that only lost answers is signed out (${assertion})`
  }
  if (assertion.includes('revoked')) {
    return `INVARIANT 2 BROKEN: a stale token did not end the session (${assertion})`
  }
  if (assertion.includes('successors')) {
    return `INVARIANT 3 BROKEN: two successors of one generation (${assertion})`
  }
  return `ASSERTION BROKEN: ${assertion}`
}

function printTrace(title: string, result: Check): void {
  process.stdout.write(`\n${title}\n${result.trace.map((line) => `  ${line}`).join('\n')}\n`)
}

// Each check generates and compiles a verifier and searches up to millions of states.
describe('the rotation protocol model (spin)', { timeout: 600_000 }, () => {
  it("takes its constants from the code's defaults, and its own fallbacks match them", () => {
    const constants = modelConstants(DEFAULTS)
    expect(constants).toEqual({
      UNIT: 5,
      GRACE: 6,
      TIMEOUT: 1,
      HOLD: 3,
      ACQUIRE: 4,
      BACKOFF: 1,
      GAP: 7,
      HORIZON: 12,
    })
    // The #defines a reader runs spin with by hand are the same figures.
    const source = readFileSync(MODEL, 'utf8')
    for (const name of ['UNIT', 'GRACE', 'TIMEOUT', 'HOLD', 'ACQUIRE', 'BACKOFF', 'GAP']) {
      const fallback = new RegExp(`#define ${name} (\\d+)`).exec(source)?.[1]
      expect({ name, value: Number(fallback) }).toEqual({ name, value: constants[name] })
    }
  })

  it('never signs out a tab that loses answers, with a lock holder that hangs and a Redis that is busy', () => {
    const result = check({ ...modelConstants(DEFAULTS), ATTACKER: 0 })
    expect(result.trace).toEqual([])
    expect(result.errors).toBe(0)
    // A real search, not an empty one: the faults, the hang and the clock give millions of states.
    expect(result.states).toBeGreaterThan(100_000)
  })

  it('always ends the session when an attacker replays a stolen token too late, and never issues two successors', () => {
    const result = check({ ...modelConstants(DEFAULTS), FAULTS: 0, STALLS: 0, ATTACKER: 1 })
    expect(result.trace).toEqual([])
    expect(result.errors).toBe(0)
    expect(result.states).toBeGreaterThan(10_000)
  })

  it('catches the old defaults (grace 10 s = refresh timeout 10 s): a lost answer signs the user out', () => {
    const result = check({ ...modelConstants(OLD_DEFAULTS), ATTACKER: 0 }, true)
    printTrace('Counterexample with grace 10 s and refresh timeout 10 s:', result)
    expect(result.errors).toBe(1)
    expect(result.violation).toContain('attacked')
    expect(result.trace.some((line) => /answer is lost/.test(line))).toBe(true)
    expect(result.trace.some((line) => /REUSE, session revoked/.test(line))).toBe(true)
    expect(result.trace.some((line) => /is SIGNED OUT/.test(line))).toBe(true)
  })

  it('catches a rotation that is not one atomic step: two successors of one generation', () => {
    const result = check({ ...modelConstants(DEFAULTS), ATTACKER: 0, SPLIT: 1 }, true)
    printTrace('Counterexample with a rotation split into a read and a write:', result)
    expect(result.errors).toBe(1)
    expect(result.violation).toContain('successors')
  })

  it('catches a hold timeout shorter than a refresh and its retry, with a grace window that is too short for it', () => {
    const result = check(
      {
        ...modelConstants({ ...DEFAULTS, graceMs: 15_000, holdTimeoutMs: 10_000 }),
        ATTACKER: 0,
      },
      true,
    )
    printTrace('Counterexample with grace 15 s and lock hold 10 s:', result)
    expect(result.errors).toBe(1)
    expect(result.trace.some((line) => /is SIGNED OUT/.test(line))).toBe(true)
  })
})
